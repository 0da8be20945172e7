import { expect } from 'chai';
import { CloudFrontInvalidator, createCdnInvalidator, noCdn } from '../../core/cdn/invalidation.ts';
import { startCloudFrontStandIn, type CloudFrontStandIn } from '../support/cloudfront-standin.ts';

const productId = '0b0c1d2e-3f40-4152-8637-48596a7b8c9d';
const credentials = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_REGION: 'us-east-1' };

describe('core/cdn CloudFront invalidation (against a local CreateInvalidation stand-in)', () => {
  let cloudfront: CloudFrontStandIn;
  before(async () => {
    cloudfront = await startCloudFrontStandIn(['E2EXAMPLE123']);
  });
  after(() => cloudfront.close());
  beforeEach(() => {
    cloudfront.invalidations.length = 0;
  });

  const env = (distributionId: string) => ({ ...credentials, CLOUDFRONT_DISTRIBUTION_ID: distributionId, AWS_ENDPOINT_URL_CLOUDFRONT: cloudfront.endpoint });

  it('invalidates a set’s preview prefix with a wildcard, under the assets path of the distribution', async () => {
    const cdn = createCdnInvalidator(env('E2EXAMPLE123'), 'https://d111111abcdef8.cloudfront.net/assets/');
    expect(cdn).to.be.instanceOf(CloudFrontInvalidator);
    await cdn.invalidate([`previews/${productId}/`, `family-previews/${productId}/17.png`]);
    expect(cloudfront.invalidations).to.have.length(1);
    expect(cloudfront.invalidations[0]).to.deep.include({
      distributionId: 'E2EXAMPLE123',
      paths: [`/assets/previews/${productId}/*`, `/assets/family-previews/${productId}/17.png`],
    });
  });

  it('uses a new caller reference per call, so a retried withdrawal is a new invalidation', async () => {
    const cdn = createCdnInvalidator(env('E2EXAMPLE123'), 'https://assets.example.com');
    await cdn.invalidate([`previews/${productId}/`]);
    await cdn.invalidate([`previews/${productId}/`]);
    const [first, second] = cloudfront.invalidations;
    expect(first!.paths).to.deep.equal([`/previews/${productId}/*`]);
    expect(first!.callerReference).not.to.equal(second!.callerReference);
  });

  it('surfaces CloudFront’s error for an unknown distribution', async () => {
    const cdn = createCdnInvalidator(env('E9NOTHERE'), 'https://assets.example.com');
    const error = await cdn.invalidate([`previews/${productId}/`]).then(() => undefined, (e: Error) => e);
    expect(error?.name).to.equal('NoSuchDistribution');
  });

  it('refuses paths that are not object keys or prefixes, and is a no-op without a distribution', async () => {
    const cdn = createCdnInvalidator(env('E2EXAMPLE123'), 'https://assets.example.com');
    for (const bad of ['/previews/x', 'previews/*', 'previews/../sets/']) {
      const error = await cdn.invalidate([bad]).then(() => undefined, (e: Error) => e);
      expect(error, bad).to.be.instanceOf(TypeError);
    }
    expect(createCdnInvalidator(credentials, 'https://assets.example.com')).to.equal(noCdn);
    expect(cloudfront.invalidations).to.deep.equal([]);
  });
});

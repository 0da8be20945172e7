import { expect } from 'chai';
import * as pulumi from '@pulumi/pulumi';
import { createNamer, NAME_LIMITS, physicalName, UNIQUE_SUFFIX_LENGTH, uniquePhysicalName } from '../../infra/naming.ts';

describe('infra naming', () => {
  it('makes <project>-<stack>-<name>, lower-cased and S3-safe', () => {
    expect(physicalName('svg-marketplace', 'dev', 'uploads', 's3Bucket')).to.equal('svg-marketplace-dev-uploads');
    expect(physicalName('svg-marketplace', 'PR_12', 'Uploads', 's3Bucket')).to.equal('svg-marketplace-pr-12-uploads');
  });

  it('trims to the AWS limit with a hash so long names stay distinct', () => {
    const a = physicalName('svg-marketplace', 'pr-123456', 'api-load-balancer-a', 'loadBalancer');
    const b = physicalName('svg-marketplace', 'pr-123456', 'api-load-balancer-b', 'loadBalancer');
    expect(a).to.have.length.at.most(NAME_LIMITS.loadBalancer);
    expect(b).to.have.length.at.most(NAME_LIMITS.loadBalancer);
    expect(a).to.not.equal(b);
    expect(a).to.match(/^svg-marketplace-pr-[a-z0-9-]*-[0-9a-f]{8}$/);
    expect(physicalName('svg-marketplace', 'pr-123456', 'api-load-balancer-a', 'loadBalancer')).to.equal(a);
  });

  it('binds project and stack once', () => {
    const name = createNamer('svg-marketplace', 'prod');
    expect(name('db', 'rdsIdentifier')).to.equal('svg-marketplace-prod-db');
    expect(name.stack).to.equal('prod');
  });

  it('a globally unique name keeps the <project>-<stack>- prefix, ends in the suffix and stays within the limit with it', () => {
    expect(uniquePhysicalName('svg-marketplace', 'pr-12', 'uploads', 'a1b2c3', 's3Bucket')).to.equal('svg-marketplace-pr-12-uploads-a1b2c3');
    const long = uniquePhysicalName('svg-marketplace', 'pr-123456789', 'customer-downloads-archive-bucket', 'a1b2c3', 's3Bucket');
    expect(long).to.have.length(NAME_LIMITS.s3Bucket);
    expect(long).to.match(/^svg-marketplace-pr-123456789-[a-z0-9-]*-[0-9a-f]{8}-a1b2c3$/);
    expect(uniquePhysicalName('svg-marketplace', 'pr-123456789', 'customer-downloads-archive-bucket', 'zzzzzz', 's3Bucket')).to.not.equal(long);
    expect(() => uniquePhysicalName('svg-marketplace', 'dev', 'uploads', 'A_1', 's3Bucket')).to.throw(/lower-case letters and digits/);
    expect(UNIQUE_SUFFIX_LENGTH).to.equal(6);
  });

  it('a namer makes unique names from the suffix it was given, and refuses them without one', async () => {
    const name = createNamer('svg-marketplace', 'dev', 'x9y8z7');
    const unique = await new Promise<string>((resolve) => name.unique('assets', 's3Bucket').apply(resolve));
    expect(unique).to.equal('svg-marketplace-dev-assets-x9y8z7');
    expect(() => createNamer('svg-marketplace', 'dev').unique('assets', 's3Bucket')).to.throw(/no unique-name suffix/);
    expect(pulumi.Output.isInstance(name.unique('assets'))).to.equal(true);
  });
});

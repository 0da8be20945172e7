import { expect } from 'chai';
import { createNamer, NAME_LIMITS, physicalName } from '../../infra/naming.ts';

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
});

import { expect } from 'chai';
import { NAME_LIMITS, UNIQUE_SUFFIX_LENGTH } from '../../infra/naming.ts';
import type { OfflineRun, PlannedResource } from '../../scripts/plan/offline-run.ts';
import { customRun, ofType, stackRun, TYPES } from './fixture.ts';

const STACKS = ['dev', 'prod', 'pr-7'] as const;

/** The input holding a resource's own physical name, where it is not `name`. */
const NAME_INPUT: Record<string, string> = {
  [TYPES.bucket]: 'bucket',
  [TYPES.rds]: 'identifier',
  [TYPES.lightsailDatabase]: 'relationalDatabaseName',
  [TYPES.dashboard]: 'dashboardName',
  'aws:sesv2/emailIdentity:EmailIdentity': 'emailIdentity',
};

/** Kinds whose names are one namespace across every AWS account. */
const GLOBAL_NAMESPACES = [TYPES.bucket];

/** AWS resources the program names itself (rather than leaving the name to Pulumi or AWS). */
function fixedNames(run: OfflineRun): { resource: PlannedResource; physical: string }[] {
  return run.resources
    .filter((r) => r.custom && r.type.startsWith('aws:') && !r.type.startsWith('pulumi:'))
    .flatMap((resource) => {
      const physical = resource.inputs[NAME_INPUT[resource.type] ?? 'name'];
      return typeof physical === 'string' ? [{ resource, physical }] : [];
    });
}

/** The stack's suffix, as its buckets carry it: one random string kept in the stack's state. */
function suffixOf(run: OfflineRun): string {
  const randoms = ofType(run, 'random:index/randomString:RandomString');
  expect(randoms.map((r) => r.name)).to.deep.equal([`svg-marketplace-${run.stack}-name-suffix`]);
  expect(randoms[0]?.inputs).to.deep.include({ length: UNIQUE_SUFFIX_LENGTH, special: false, upper: false });
  const suffixes = new Set(ofType(run, TYPES.bucket).map((b) => String(b.inputs['bucket']).slice(b.name.length + 1)));
  expect(suffixes.size, 'one suffix for all the stack’s buckets').to.equal(1);
  return [...suffixes][0] ?? '';
}

describe('physical names: nothing collides across accounts or on replacement', () => {
  for (const stack of STACKS) {
    it(`${stack}: every resource with a fixed physical name is deleted before it is replaced`, async () => {
      const run = await stackRun(stack);
      const named = fixedNames(run);
      expect(named.length).to.be.greaterThan(20);
      const createFirst = named.filter(({ resource }) => !resource.deleteBeforeReplace).map(({ resource, physical }) => `${resource.type} ${physical}`);
      expect(createFirst, 'a replacement would fail with "already exists"').to.deep.equal([]);
    });

    it(`${stack}: bucket names carry the stack's random suffix after <project>-<stack>-, within S3's limit, and a created bucket keeps its name`, async () => {
      const run = await stackRun(stack);
      const buckets = run.resources.filter((r) => (GLOBAL_NAMESPACES as string[]).includes(r.type));
      expect(buckets.length).to.equal(stack === 'prod' ? 4 : 3);
      const suffix = suffixOf(run);
      expect(suffix).to.match(new RegExp(`^[a-z0-9]{${UNIQUE_SUFFIX_LENGTH}}$`));
      for (const bucket of buckets) {
        const physical = String(bucket.inputs['bucket']);
        // The PR role's permission boundary matches `svg-marketplace-pr-*`: the prefix stays first.
        expect(physical).to.equal(`${bucket.name}-${suffix}`);
        expect(physical.startsWith(`svg-marketplace-${stack}-`)).to.equal(true);
        expect(physical).to.have.length.at.most(NAME_LIMITS.s3Bucket);
        expect(bucket.ignoreChanges).to.deep.equal(['bucket']);
      }
    });
  }

  it('prod with account mail and WAF block lists: the SES identity and the IP sets are deleted before they are replaced too', async () => {
    const prod = await customRun('prod', { config: { 'svg-marketplace:mailFrom': 'shop@example.com', 'svg-marketplace:wafBlockedIps': ['198.51.100.7', '2001:db8::/32'] } });
    const optional = fixedNames(prod).filter(({ resource }) => ['aws:sesv2/emailIdentity:EmailIdentity', 'aws:wafv2/ipSet:IpSet'].includes(resource.type));
    expect(optional.map(({ physical }) => physical).sort()).to.deep.equal(['shop@example.com', 'svg-marketplace-prod-web-waf-blocked-ipv4', 'svg-marketplace-prod-web-waf-blocked-ipv6']);
    expect(optional.filter(({ resource }) => !resource.deleteBeforeReplace).map(({ physical }) => physical)).to.deep.equal([]);
  });

  it('each stack draws its own suffix', async () => {
    const suffixes = await Promise.all(STACKS.map(async (stack) => suffixOf(await stackRun(stack))));
    expect(new Set(suffixes).size).to.equal(STACKS.length);
  });
});

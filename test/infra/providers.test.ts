import { expect } from 'chai';
import { EDGE_REGION } from '../../infra/components/frontend.ts';
import type { OfflineRun, PlannedResource } from '../../scripts/plan/offline-run.ts';
import { ofType, stackRun, TYPES } from './fixture.ts';

const STACKS = ['dev', 'prod', 'pr-7'] as const;

/** The AWS resources the engine creates through a provider: custom ones, and awsx's remote Vpc. */
function awsResources(run: OfflineRun): PlannedResource[] {
  return run.resources.filter((r) => (r.type.startsWith('aws:') && r.custom) || r.type.startsWith('awsx:'));
}

function providerOf(resource: PlannedResource): string | undefined {
  return resource.type.startsWith('awsx:') ? resource.providerUrns['aws'] : resource.providerUrn;
}

describe('providers: every AWS resource goes through the stack’s explicit, tagged provider', () => {
  for (const stack of STACKS) {
    it(`${stack}: the stack's tags are the providers' default tags, and no resource is left to the default provider`, async () => {
      const run = await stackRun(stack);
      const providers = ofType(run, TYPES.provider);
      const main = providers.find((p) => p.name === `svg-marketplace-${stack}-aws`);
      expect(main, 'the stack provider').to.not.equal(undefined);
      const edge = providers.find((p) => p.name === `svg-marketplace-${stack}-edge`);
      // Only prod has CloudFront's WAF, the one thing in us-east-1 whatever the stack's region.
      expect(providers.map((p) => p.name).sort()).to.deep.equal(stack === 'prod' ? [`svg-marketplace-${stack}-aws`, `svg-marketplace-${stack}-edge`] : [`svg-marketplace-${stack}-aws`]);
      const tags = { project: 'svg-marketplace', stack, 'managed-by': 'pulumi' };
      for (const provider of providers) {
        expect(defaultTags(provider), provider.name).to.deep.equal(tags);
      }
      expect(main?.inputs['region']).to.equal(run.region);
      if (edge) expect(edge.inputs['region']).to.equal(EDGE_REGION);

      const resources = awsResources(run);
      expect(resources.length).to.be.greaterThan(20);
      const allowed = new Set(providers.map((p) => p.urn));
      const stray = resources.filter((r) => !allowed.has(providerOf(r) ?? '')).map((r) => `${r.type} ${r.name}`);
      expect(stray, 'resources on the default provider (a component did not pass its opts down)').to.deep.equal([]);
      // The edge provider serves the WAF alone; everything else stays in the stack's region.
      const onEdge = resources.filter((r) => edge && providerOf(r) === edge.urn).map((r) => r.type);
      expect([...new Set(onEdge)]).to.deep.equal(stack === 'prod' ? ['aws:wafv2/webAcl:WebAcl'] : []);
    });
  }

  it('prod: no resource repeats the stack tags by hand, except where default tags cannot reach (instances an Auto Scaling group launches)', async () => {
    const prod = await stackRun('prod');
    const tagged = awsResources(prod)
      .filter((r) => {
        const tags = r.inputs['tags'];
        return typeof tags === 'object' && tags !== null && !Array.isArray(tags) && 'stack' in tags;
      })
      .map((r) => r.type);
    expect(tagged).to.deep.equal([]);
    const asgTags = (ofType(prod, TYPES.asg)[0]?.inputs['tags'] ?? []) as { key: string; value: string; propagateAtLaunch: boolean }[];
    expect(asgTags.map((t) => t.key).sort()).to.deep.equal(['Name', 'managed-by', 'project', 'stack']);
  });
});

/** The engine hands provider inputs over JSON-encoded; the mocks pass them as objects. */
function defaultTags(provider: PlannedResource): unknown {
  const raw = provider.inputs['defaultTags'];
  const value = typeof raw === 'string' ? (JSON.parse(raw) as unknown) : raw;
  return (value as { tags?: unknown } | undefined)?.tags;
}

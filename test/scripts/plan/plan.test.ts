import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../../infra/bundles.ts';
import { estimateCost } from '../../../scripts/plan/cost.ts';
import { diffPlans, formatDiff } from '../../../scripts/plan/diff.ts';
import { mermaidGraph } from '../../../scripts/plan/graph.ts';
import { currentBlock, README_PATH, renderDiagrams } from '../../../scripts/plan/readme.ts';
import { PRICES } from '../../../scripts/plan/prices.ts';
import { buildPlan, formatTree, SECRET_MASK, toJson, type PlanJson } from '../../../scripts/plan/report.ts';
import { stackRun } from '../../infra/fixture.ts';

const DEV_BUDGET_USD = 30;
const PROD_BUDGET_USD = 150;

describe('npm run plan (offline plan and cost)', () => {
  it('dev estimates under $30 a month at idle, driven by the Lightsail host and database', async () => {
    const plan = buildPlan(await stackRun('dev'));
    expect(plan.cost.unpriced).to.deep.equal([]);
    expect(plan.cost.totalUsd).to.be.below(DEV_BUDGET_USD).and.above(20);
    const host = plan.run.resources.find((r) => r.type === 'aws:lightsail/instance:Instance');
    expect(plan.cost.byUrn.get(host?.urn ?? '')?.monthlyUsd).to.equal(12);
  });

  it('prod estimates under $150 a month at idle with every costly resource priced', async () => {
    const plan = buildPlan(await stackRun('prod'));
    expect(plan.cost.unpriced).to.deep.equal([]);
    expect(plan.cost.totalUsd).to.be.below(PROD_BUDGET_USD).and.above(60);
    const priced = new Set(plan.run.resources.filter((r) => plan.cost.byUrn.has(r.urn)).map((r) => r.type));
    for (const type of ['aws:lb/loadBalancer:LoadBalancer', 'aws:rds/instance:Instance', 'aws:autoscaling/group:Group', 'aws:ec2/instance:Instance', 'aws:wafv2/webAcl:WebAcl', 'aws:lightsail/containerService:ContainerService']) {
      expect(priced, type).to.include(type);
    }
  });

  it('prices what the config changes: a Multi-AZ database doubles its instance and storage, not its managed secret', async () => {
    const base = estimateCost((await stackRun('prod')).resources);
    const run = await stackRun('prod');
    const resources = structuredClone(run.resources);
    const db = resources.find((r) => r.type === 'aws:rds/instance:Instance');
    if (!db) throw new Error('no database');
    db.inputs['multiAz'] = true;
    const doubled = estimateCost(resources);
    const secret = PRICES.secretsManagerSecretMonthly;
    expect(db.inputs['manageMasterUserPassword']).to.equal(true);
    expect(doubled.byUrn.get(db.urn)?.monthlyUsd).to.be.closeTo(2 * ((base.byUrn.get(db.urn)?.monthlyUsd ?? 0) - secret) + secret, 0.011);
  });

  it('prints the tree by component with costs and a total', async () => {
    const text = formatTree(buildPlan(await stackRun('prod')));
    expect(text).to.match(/^Stack prod \(us-east-1, config from Pulumi\.prod\.yaml\) — \d+ resources/);
    expect(text).to.match(/▸ svg-marketplace:infra:Api svg-marketplace-prod-api {2}\$\d+\.\d\d/);
    expect(text).to.match(/\n {2}- aws:lb\/loadBalancer:LoadBalancer svg-marketplace-prod-api {2}\$23\.73 {2}ALB 730 h/);
    expect(text).to.match(/\nEstimated monthly cost at idle: \$\d+\.\d\d \(us-east-1 list prices as of \d{4}-\d\d-\d\d/);
  });

  it('--json gives {stack, resources: [{type, name, parent, region}], monthlyCostUsd} with secrets masked', async () => {
    const json = toJson(buildPlan(await stackRun('dev')));
    expect(Object.keys(json)).to.deep.equal(['stack', 'resources', 'monthlyCostUsd']);
    expect(json.stack).to.equal('dev');
    const bucket = json.resources.find((r) => r.type === 'aws:s3/bucket:Bucket' && r.name === 'svg-marketplace-dev-uploads');
    expect(bucket).to.deep.include({ parent: 'svg-marketplace-dev-uploads', region: 'us-east-1' });
    // The functions' environment holds no secret any more (the database password is read at cold start).
    const parameter = json.resources.find((r) => r.type === 'aws:ssm/parameter:Parameter' && r.name === 'svg-marketplace-dev-db-pipeline-password');
    expect(parameter?.inputs['value']).to.equal(SECRET_MASK);
    expect(JSON.stringify(json)).to.not.contain('offline-plan-placeholder');
  });

  it('--diff reports what is added, removed and changed against a snapshot, with the cost change', async () => {
    const dev = toJson(buildPlan(await stackRun('dev')));
    const snapshot: PlanJson = structuredClone(dev);
    // The snapshot lacks one queue, has an extra topic and an older memory setting.
    snapshot.resources = snapshot.resources.filter((r) => r.name !== 'svg-marketplace-dev-image-batcher-dlq' || r.type !== 'aws:sqs/queue:Queue');
    snapshot.resources.push({ type: 'aws:sns/topic:Topic', name: 'svg-marketplace-dev-legacy', inputs: {} });
    const fn = snapshot.resources.find((r) => r.type === 'aws:lambda/function:Function' && r.name.endsWith('-image-processor'));
    if (!fn) throw new Error('no function');
    fn.inputs['memorySize'] = 1024;
    snapshot.monthlyCostUsd = dev.monthlyCostUsd - 5;
    const diff = diffPlans(snapshot, dev);
    expect(diff.added.map((r) => r.name)).to.deep.equal(['svg-marketplace-dev-image-batcher-dlq']);
    expect(diff.removed.map((r) => r.name)).to.deep.equal(['svg-marketplace-dev-legacy']);
    expect(diff.changed.map((c) => [c.after.name, c.fields])).to.deep.equal([['svg-marketplace-dev-image-processor', ['memorySize']]]);
    const text = formatDiff(diff);
    expect(text).to.contain('Plan diff: 1 to add, 1 to change, 1 to remove').and.contain('(+$5.00)');
    expect(diffPlans(dev, dev)).to.deep.include({ added: [], removed: [], changed: [] });
  });

  it('--graph draws the data flow from the program: upload bucket → EventBridge → functions → queues → database', async () => {
    const graph = mermaidGraph(await stackRun('prod'));
    expect(graph).to.match(/^flowchart LR/);
    for (const edge of [
      'bucket_uploads -->|Object Created| eventRule_upload_created',
      'eventRule_upload_created --> function_image_batcher',
      'function_image_batcher --> queue_image_processor',
      'queue_image_processor -->|batch| function_image_processor',
      'queue_image_processor -->|DLQ| queue_image_processor_dlq',
      'function_image_processor -->|writes| bucket_assets',
      'function_preview_maker --> instance_db',
      'webAcl_web_waf -->|protects| distribution_cdn',
      'loadBalancer_api -->|HTTPS| group_api',
      'instance_db -->|jdbc views| instance_logstash',
    ]) {
      expect(graph).to.contain(edge);
    }
  });

  it('the README diagrams are current (regenerate with npm run plan:readme)', async () => {
    const expected = await renderDiagrams(stackRun);
    expect(currentBlock(readFileSync(README_PATH, 'utf8'))).to.equal(expected.trim());
  });

  it('runs as `npm run plan -- dev` from the command line', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import=tsx', 'scripts/plan/index.ts', 'dev', '--json'], { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 });
    const json = JSON.parse(stdout) as PlanJson;
    expect(json.stack).to.equal('dev');
    expect(json.monthlyCostUsd).to.be.below(DEV_BUDGET_USD);
  });
});

/**
 * The program as the Pulumi engine runs it, for every workflow step that runs it: through the
 * real language-host entry against an in-process gRPC ResourceMonitor/Engine (engine/), with
 * exactly the config each step leaves on a fresh runner (engine/workflow-config.ts). The mock
 * tests in this folder import the program in-process under `setMocks`; this one catches what
 * they cannot: config that never reaches a stack, the loader the project's nodeargs set up,
 * the ESM entry lookup, duplicate URNs, secrets on the wire and the outputs the workflows read.
 */
import { expect } from 'chai';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE_NAMES } from '../../infra/config.ts';
import { hostAppsFor } from '../../infra/host-layout.ts';
import { outputsRead } from '../workflows/checks.ts';
import { runProgram, type EngineRun } from './engine/run.ts';
import { configAtPulumiStep, documentedEscValues, type StepConfig } from './engine/workflow-config.ts';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const PR = 7;

/** Stand-ins for `npm run build:functions` output (the program zips whatever is there). */
function functionBundles(): string {
  const dir = mkdtempSync(join(tmpdir(), 'engine-functions-'));
  for (const name of BUNDLE_NAMES) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'index.mjs'), 'export const handler = async () => ({});\n');
    writeFileSync(join(dir, name, 'architecture.txt'), 'arm64\n');
  }
  return dir;
}

interface Scenario {
  title: string;
  step: StepConfig;
  dryRun: boolean;
  /** Outputs the job reads after this step (workflow text and, for deploys, on-hosts.sh). */
  reads: string[];
}

const read = (path: string) => readFileSync(path, 'utf8');

describe('the program under the Pulumi engine, with each workflow step’s config', function () {
  // Each run starts Node, loads @pulumi/aws through the project's loader and runs the program.
  this.timeout(300_000);
  const bundles = functionBundles();
  const runs = new Map<string, Promise<EngineRun>>();

  const firstPush = configAtPulumiStep('ephemeral.yml', 'up', 'up', { sha: SHA, prNumber: PR, stack: `pr-${PR}` });
  const secondPush = configAtPulumiStep('ephemeral.yml', 'up', 'up', { sha: 'fedcba9876543210fedcba9876543210fedcba98', prNumber: PR, stack: `pr-${PR}` });
  const onHosts = read('scripts/deploy/on-hosts.sh');
  const scenarios: Scenario[] = [
    { title: 'pull request: pulumi preview of dev', step: configAtPulumiStep('pull-request.yml', 'preview', 'preview', { sha: SHA, stack: 'dev' }), dryRun: true, reads: [] },
    // Pull requests preview dev only (prod's diff on a PR is the offline plan); prod's preview is the one its deploy's `up` shows first.
    { title: 'deploy: the preview pulumi up of prod shows first', step: configAtPulumiStep('deploy.yml', 'deploy', 'up', { sha: SHA, stack: 'prod' }), dryRun: true, reads: [] },
    {
      title: `ephemeral: pulumi up of pr-${PR} (every push)`,
      step: firstPush,
      dryRun: false,
      reads: outputsRead(read('.github/workflows/ephemeral.yml'), hostAppsFor('dev')),
    },
    { title: 'deploy: pulumi up of dev', step: configAtPulumiStep('deploy.yml', 'deploy', 'up', { sha: SHA, stack: 'dev' }), dryRun: false, reads: [...outputsRead(read('.github/workflows/deploy.yml'), hostAppsFor('dev')), ...outputsRead(onHosts.split(/^else$/m)[1] ?? '', []), 'shape'] },
    { title: 'deploy: pulumi up of prod', step: configAtPulumiStep('deploy.yml', 'deploy', 'up', { sha: SHA, stack: 'prod' }), dryRun: false, reads: [...outputsRead(read('.github/workflows/deploy.yml'), hostAppsFor('prod')), 'shape', 'deployBucket', 'apiInstanceName'] },
  ];

  // Two programs at a time: each is one Node process.
  let queue: Promise<unknown>[] = [];
  const start = (scenario: Scenario) => {
    const previous = queue.length >= 2 ? queue[queue.length - 2] : undefined;
    const run = (previous ?? Promise.resolve())
      .catch(() => undefined)
      .then(() =>
        runProgram({
          stack: scenario.step.stack,
          config: scenario.step.config,
          secretKeys: scenario.step.secretKeys,
          dryRun: scenario.dryRun,
          env: scenario.step.builtFunctions ? { FUNCTIONS_DIST_DIR: bundles } : {},
        }),
      );
    queue = [...queue, run];
    runs.set(scenario.title, run);
  };
  before(() => scenarios.forEach(start));

  describe('the config each step leaves on a fresh runner', () => {
    it('a pr-<n> stack gets dev’s settings on every push, not only when it is created', () => {
      expect(firstPush.stackFileSource).to.equal('pr-stack.ts');
      const { 'svg-marketplace:imageTag': firstTag, ...first } = firstPush.config;
      const { 'svg-marketplace:imageTag': secondTag, ...second } = secondPush.config;
      expect(second).to.deep.equal(first);
      expect([firstTag, secondTag]).to.deep.equal([SHA, 'fedcba9876543210fedcba9876543210fedcba98']);
      expect(first).to.include({ 'aws:region': 'us-east-1', 'svg-marketplace:lambdaArchitecture': 'arm64' });
    });

    it('every step that runs the program names the commit as imageTag and has built the Lambda bundles', () => {
      for (const { title, step } of scenarios) {
        expect(step.config['svg-marketplace:imageTag'], title).to.equal(SHA);
        expect(step.builtFunctions, title).to.equal(true);
      }
    });

    it('prod’s Elasticsearch URL comes from the ESC environment its stack file imports, as a secret', () => {
      const prod = scenarios.find((s) => s.title.endsWith('up of prod'))!.step;
      expect(documentedEscValues().get('svg-marketplace/prod')?.map((v) => v.key)).to.include('svg-marketplace:elasticsearchUrl');
      expect(prod.secretKeys).to.include('svg-marketplace:elasticsearchUrl');
    });

    it('the PR destroy has the stack file too (its refresh and the default provider need aws:region)', () => {
      const destroy = configAtPulumiStep('ephemeral.yml', 'destroy-on-close', 'destroy', { sha: SHA, prNumber: PR, stack: `pr-${PR}` });
      expect(destroy.stackFileSource).to.equal('pr-stack.ts');
      expect(destroy.config['aws:region']).to.equal('us-east-1');
    });
  });

  for (const scenario of scenarios) {
    describe(scenario.title, () => {
      it('runs to the end with no error and registers the whole stack', async () => {
        const run = await runs.get(scenario.title)!;
        expect({ exitCode: run.exitCode, errors: run.errors }, run.stderr).to.deep.equal({ exitCode: 0, errors: [] });
        expect(run.resources[0]?.type).to.equal('pulumi:pulumi:Stack');
        expect(run.resources.length).to.be.greaterThan(scenario.step.stack === 'prod' ? 120 : 60);
        // Every custom resource but the Stack's own children sits under a component.
        expect(run.resources.filter((r) => r.custom && !r.parent)).to.deep.equal([]);
      });

      it('exports every output the job reads afterwards, secrets as secrets', async function () {
        const run = await runs.get(scenario.title)!;
        if (scenario.dryRun) {
          // A preview's outputs are mostly unknown; the stack still declares them.
          expect(Object.keys(run.stackOutputs)).to.include.members(['shape', 'imageTag', 'hostApps']);
          return;
        }
        expect(Object.keys(run.stackOutputs)).to.include.members(scenario.reads);
        expect(run.stackOutputs['imageTag']).to.equal(SHA);
        expect(run.secretOutputs).to.include('databaseUrl');
        if (scenario.step.stack !== 'prod') expect(run.secretOutputs).to.include.members(['devHostSshKey', 'devHostSecrets', 'apiDatabaseUrl']);
        // The deploy's database step reads it in the clear: names only, no password (database-logins.test.ts).
        expect(run.secretOutputs).to.not.include('databaseMigration');
      });
    });
  }

  describe('one pulumi up builds, pushes and deploys the images (dependencies as the engine sees them)', function () {
    // Waits for the last runs in the queue; the machine may be shared.
    this.timeout(600_000);
    const IMAGE = 'docker-build:index:Image';
    const byType = (run: EngineRun, type: string, suffix: string) => {
      const found = run.resources.filter((r) => r.type === type && r.name.endsWith(suffix));
      expect(found.map((r) => r.name), `${type} *${suffix}`).to.have.length(1);
      return found[0]!;
    };

    it('prod: the Lightsail deployment waits for the repository policy that lets Lightsail pull, and runs the web build by digest', async () => {
      const run = await runs.get('deploy: pulumi up of prod')!;
      const deployment = byType(run, 'aws:lightsail/containerServiceDeploymentVersion:ContainerServiceDeploymentVersion', '-deployment');
      const policy = byType(run, 'aws:ecr/repositoryPolicy:RepositoryPolicy', '-pull');
      const web = byType(run, IMAGE, '-web-image');
      expect(deployment.dependencies).to.include.members([policy.urn, web.urn]);
      const [container] = deployment.inputs['containers'] as { image: string }[];
      expect(container?.image).to.match(/^123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/svg-marketplace-prod-web@sha256:[0-9a-f]{64}$/);
    });

    it('prod: the API launch template depends on the api build, whose digest its user data pulls', async () => {
      const run = await runs.get('deploy: pulumi up of prod')!;
      const template = byType(run, 'aws:ec2/launchTemplate:LaunchTemplate', '-api');
      const api = byType(run, IMAGE, '-api-image');
      expect(template.dependencies).to.include(api.urn);
      expect(Buffer.from(String(template.inputs['userData']), 'base64').toString()).to.match(/^docker pull --quiet '123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/svg-marketplace-prod-api@sha256:[0-9a-f]{64}'$/m);
    });

    it(`pr-${PR}: nothing secret on the wire in the host's user data; its key is replaced when devHostKeyRotation changes`, async () => {
      const run = await runs.get(`ephemeral: pulumi up of pr-${PR} (every push)`)!;
      const host = byType(run, 'aws:lightsail/instance:Instance', '-host');
      // The host boots on no image (it has no key until the deploy writes one); the rotation pulls them.
      expect(host.secretInputs).to.deep.equal([]);
      expect(String(host.inputs['userData'])).to.not.match(/@sha256:/);
      const key = byType(run, 'aws:iam/accessKey:AccessKey', '-host-key');
      expect(key.replacementTrigger).to.equal('1');
      expect(run.stackOutputs['devHostSecrets']).to.have.property('cursorSecret').with.length(48);
    });

    it(`pr-${PR} and dev: every IAM role and user carries its deployer's boundary, in the account the program asked for; prod none`, async () => {
      const boundaries = async (title: string) => {
        const run = await runs.get(title)!;
        const principals = run.resources.filter((r) => r.type === 'aws:iam/role:Role' || r.type === 'aws:iam/user:User');
        expect(principals.length, title).to.be.greaterThan(4);
        return [...new Set(principals.map((r) => r.inputs['permissionsBoundary'] ?? 'none'))];
      };
      expect(await boundaries(`ephemeral: pulumi up of pr-${PR} (every push)`)).to.deep.equal(['arn:aws:iam::123456789012:policy/svg-marketplace-ephemeral-boundary']);
      expect(await boundaries('deploy: pulumi up of dev')).to.deep.equal(['arn:aws:iam::123456789012:policy/svg-marketplace-dev-boundary']);
      expect(await boundaries('deploy: pulumi up of prod')).to.deep.equal(['none']);
    });

    it('a PR preview reads from AWS only what holds no secret (its role is denied every secret value, infra/bootstrap)', async () => {
      const run = await runs.get('pull request: pulumi preview of dev')!;
      // The account its boundary's ARN is made with (no permission needed, nothing secret).
      expect([...new Set(run.invokes.map((i) => i.token))].sort()).to.deep.equal(['aws:index/getCallerIdentity:getCallerIdentity']);
    });

    it("prod's preview reads from AWS only what AWS publishes (the AMI, CloudFront's prefix list, its public parameter)", async () => {
      const run = await runs.get('deploy: the preview pulumi up of prod shows first')!;
      expect([...new Set(run.invokes.map((i) => i.token))].sort()).to.deep.equal(['aws:ec2/getAmi:getAmi', 'aws:ec2/getManagedPrefixList:getManagedPrefixList', 'aws:ssm/getParameter:getParameter']);
      const parameters = run.invokes.filter((i) => i.token === 'aws:ssm/getParameter:getParameter').map((i) => String(i.args['name']));
      expect(parameters.every((name) => name.startsWith('/aws/service/')), parameters.join(', ')).to.equal(true);
    });

    it('a preview builds nothing and leaves the digests unknown', async () => {
      const run = await runs.get('deploy: the preview pulumi up of prod shows first')!;
      const web = byType(run, IMAGE, '-web-image');
      expect(web.inputs['buildOnPreview']).to.equal(false);
      const deployment = byType(run, 'aws:lightsail/containerServiceDeploymentVersion:ContainerServiceDeploymentVersion', '-deployment');
      expect(deployment.unknownInputs).to.include('containers[0].image');
    });
  });
});

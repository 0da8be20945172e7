import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  concurrencyProblems,
  credentialProblems,
  documentedNames,
  jobStacks,
  missingNeeds,
  pulumiSteps,
  readWorkflow,
  referenced,
  schemaProblems,
  shellInjectionProblems,
  type Workflow,
} from './checks.ts';

const DIR = '.github/workflows';
const files = readdirSync(DIR).filter((file) => /\.ya?ml$/.test(file));
const source = (file: string) => readFileSync(join(DIR, file), 'utf8');
const workflow = (file: string): Workflow => readWorkflow(source(file));
const readme = readFileSync('README.md', 'utf8');
/** GitHub provides this one; it is never set by an operator. */
const BUILT_IN_SECRETS = new Set(['GITHUB_TOKEN']);

describe('GitHub workflows', () => {
  it('the three delivery workflows exist', () => {
    expect(files).to.include.members(['pull-request.yml', 'ephemeral.yml', 'deploy.yml']);
  });

  for (const file of files) {
    describe(file, () => {
      it('passes GitHub’s workflow parser (schema, expressions, job graph)', async () => {
        expect(await schemaProblems(file, source(file))).to.deep.equal([]);
      });

      it('needs only jobs that exist', () => {
        expect(missingNeeds(workflow(file))).to.deep.equal([]);
      });

      it('uses only secrets and variables documented in README “Deploying”', () => {
        const secrets = [...referenced(source(file), 'secrets')].filter((name) => !BUILT_IN_SECRETS.has(name));
        const vars = [...referenced(source(file), 'vars')];
        const undocumentedSecrets = secrets.filter((name) => !documentedNames(readme, 'secret').has(name));
        const undocumentedVars = vars.filter((name) => !documentedNames(readme, 'variable').has(name));
        expect({ undocumentedSecrets, undocumentedVars }).to.deep.equal({ undocumentedSecrets: [], undocumentedVars: [] });
      });

      it('expands no author-chosen text (branch names, titles, bodies) into a shell script', () => {
        expect(shellInjectionProblems(workflow(file))).to.deep.equal([]);
      });

      it('gets AWS credentials through OIDC only', () => {
        expect(credentialProblems(workflow(file), source(file))).to.deep.equal([]);
      });

      it('never removes a stack without destroying it', () => {
        const commands = source(file).split('\n').filter((line) => !line.trim().startsWith('#'));
        expect(commands.filter((line) => /stack rm\b.*--force/.test(line))).to.deep.equal([]);
      });
    });
  }

  describe('pull request', () => {
    const pr = workflow('pull-request.yml');

    it('tests and builds the Lambda bundles and both images', () => {
      const runs = JSON.stringify(pr.jobs);
      expect(runs).to.contain('npm test').and.to.contain('npm run build:functions');
      expect(runs).to.contain('app/api/Dockerfile').and.to.contain('app/web/Dockerfile');
    });

    it('posts one edited pulumi preview --diff comment for dev, and none for prod (its diff is the offline plan)', () => {
      const previews = pulumiSteps(pr, 'preview');
      expect(previews).to.have.length(1);
      const { job, step } = previews[0]!;
      // A real preview of prod would run the branch's code with prod's decrypted config and prod's token.
      expect(jobStacks(job)).to.deep.equal(['dev']);
      expect(String(step.with?.['stack-name'])).to.contain('matrix.stack');
      expect(step.with).to.include({ 'comment-on-pr': true, 'edit-pr-comment': true, diff: true });
      // The stack files keep no imageTag and config.ts requires one: the preview names the PR's commit.
      expect(JSON.parse(String(step.with?.['config-map']))).to.deep.equal({ 'svg-marketplace:imageTag': { value: '${{ github.event.pull_request.head.sha }}', secret: false } });
      expect(job.permissions).to.include({ 'pull-requests': 'write', 'id-token': 'write' });
    });

    it('shows the offline plan diff and cost for both stacks without cloud credentials (forks too)', () => {
      const job = pr.jobs['offline-plan']!;
      expect(jobStacks(job)).to.have.members(['dev', 'prod']);
      expect(job.if, 'runs for forks as well').to.equal(undefined);
      const steps = JSON.stringify(job.steps);
      expect(steps).to.contain('plan -- ${{ matrix.stack }} --json').and.to.contain('--diff');
      expect(steps).to.contain('GITHUB_STEP_SUMMARY');
      expect(steps).not.to.contain('configure-aws-credentials');
    });
  });

  describe('ephemeral environments', () => {
    const eph = workflow('ephemeral.yml');

    it('brings up pr-<n> from dev’s config for a labelled PR and posts its URLs', () => {
      const up = eph.jobs['up']!;
      expect(up.if).to.contain("contains(github.event.pull_request.labels.*.name, 'ephemeral-env')");
      const steps = JSON.stringify(up.steps);
      // dev's settings on every run, not only when the stack is created: a fresh runner has no stack file.
      const configStep = up.steps!.find((step) => step.run?.includes('scripts/plan/pr-stack.ts'));
      expect(configStep?.run).to.contain('npx tsx scripts/plan/pr-stack.ts "pr-${{ github.event.pull_request.number }}"');
      expect(configStep?.if, 'runs on every push').to.equal(undefined);
      expect(configStep?.run).to.not.match(/if !|\|\||--copy-config-from/);
      expect(up.steps!.indexOf(configStep!)).to.be.lessThan(up.steps!.findIndex((step) => step.with?.['command'] === 'up' || /pulumi up/.test(step.run ?? '')));
      expect(up.env?.['STACK']).to.match(/pr-\$\{\{ github\.event\.pull_request\.number \}\}/);
      expect(steps).to.contain('steps.up.outputs.webUrl').and.to.contain('steps.up.outputs.apiUrl');
    });

    it('destroys and removes the stack when the PR closes', () => {
      const destroys = pulumiSteps(eph, 'destroy');
      const onClose = destroys.find(({ job }) => job.if?.includes("github.event.action == 'closed'"));
      expect(onClose, 'a destroy step in a job that runs on close').to.not.equal(undefined);
      expect(onClose!.step.with).to.include({ remove: true });
      expect(eph.on).to.have.property('pull_request').that.deep.includes({ types: ['labeled', 'synchronize', 'reopened', 'closed'] });
    });

    it('sweeps stale PR stacks on a schedule with a configurable age, each in its own stack group', () => {
      expect(eph.on).to.have.property('schedule');
      const stale = eph.jobs['stale']!;
      expect(String(stale.env?.['MAX_AGE_HOURS'])).to.contain('vars.EPHEMERAL_MAX_AGE_HOURS');
      const sweep = eph.jobs['destroy-stale']!;
      expect(sweep.needs).to.deep.equal(['stale']);
      expect(String(sweep.strategy?.matrix?.['pr'])).to.equal('${{ fromJSON(needs.stale.outputs.prs) }}');
      // The same group as the PR's own up and destroy jobs: never beside a push of that PR.
      expect(sweep.concurrency).to.deep.equal({ group: 'stack-pr-${{ matrix.pr }}', 'cancel-in-progress': false });
      expect(String(eph.jobs['up']!.concurrency && (eph.jobs['up']!.concurrency as { group: string }).group)).to.equal('stack-pr-${{ github.event.pull_request.number }}');
      const destroy = pulumiSteps(eph, 'destroy').find(({ jobId }) => jobId === 'destroy-stale');
      expect(destroy?.step.with).to.include({ refresh: true, remove: true });
    });

    it('refreshes before every destroy, with the stack file written first', () => {
      const destroys = pulumiSteps(eph, 'destroy');
      expect(destroys.map(({ jobId }) => jobId)).to.have.members(['destroy-on-close', 'destroy-stale']);
      for (const { jobId, job, step } of destroys) {
        expect(step.with, jobId).to.include({ refresh: true, remove: true });
        const steps = job.steps!;
        const writes = steps.findIndex((s) => s.run?.includes('scripts/plan/pr-stack.ts'));
        expect(writes, jobId).to.be.within(0, steps.indexOf(step) - 1);
      }
    });

    it('assumes the ephemeral role, only through the protected ephemeral environment', () => {
      for (const id of ['up', 'destroy-on-close', 'destroy-stale']) {
        const job = eph.jobs[id]!;
        expect((job as { environment?: unknown }).environment, id).to.equal('ephemeral');
        const assume = job.steps!.find((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials@'));
        expect(assume?.with?.['role-to-assume'], id).to.equal('${{ vars.AWS_EPHEMERAL_ROLE_ARN }}');
      }
      expect(source('ephemeral.yml')).to.not.match(/AWS_DEPLOY_/);
    });

    it('never runs two updates of one PR stack at once', () => {
      expect(concurrencyProblems(eph, ['up', 'destroy-on-close'])).to.deep.equal([]);
    });
  });

  describe('deploy', () => {
    const deploy = workflow('deploy.yml');
    const steps = deploy.jobs['deploy']!.steps!;
    const index = (pattern: RegExp) => steps.findIndex((step) => pattern.test(JSON.stringify(step)));

    it('deploys develop to dev and production to prod', () => {
      expect(deploy.on).to.deep.include({ push: { branches: ['develop', 'production'] } });
      expect(deploy.jobs['deploy']!.env?.['STACK_NAME']).to.equal("${{ github.ref_name == 'production' && 'prod' || 'dev' }}");
    });

    it('assumes the environment\'s own role: deploy-prod in prod, the bounded deploy-dev in dev (each trusts only its environment)', () => {
      const job = deploy.jobs['deploy']!;
      expect((job as { environment?: unknown }).environment).to.equal("${{ github.ref_name == 'production' && 'prod' || 'dev' }}");
      const assumes = job.steps!.filter((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials@'));
      expect(assumes.map((step) => step.with?.['role-to-assume'])).to.deep.equal([
        "${{ github.ref_name == 'production' && vars.AWS_DEPLOY_PROD_ROLE_ARN || vars.AWS_DEPLOY_DEV_ROLE_ARN }}",
      ]);
      // No workflow assumes the deploy roles but this one, and none the old shared role.
      for (const file of files.filter((f) => f !== 'deploy.yml')) expect(source(file), file).to.not.match(/AWS_DEPLOY_/);
      expect(source('deploy.yml')).to.not.contain('AWS_DEPLOY_ROLE_ARN');
    });

    it("reaches prod's stack only from this job in the prod environment, in prod's own Pulumi organisation", () => {
      const job = deploy.jobs['deploy']!;
      expect(job.env?.['STACK']).to.equal("${{ github.ref_name == 'production' && format('{0}/prod', vars.PULUMI_PROD_ORG) || format('{0}/dev', vars.PULUMI_ORG) }}");
      // The same condition picks the environment, whose own PULUMI_ACCESS_TOKEN (prod's organisation) overrides the repository's.
      expect((job as { environment?: unknown }).environment).to.equal("${{ github.ref_name == 'production' && 'prod' || 'dev' }}");
      const holders = files.flatMap((file) =>
        Object.entries(workflow(file).jobs)
          .filter(([, other]) => /PULUMI_PROD_ORG/.test(JSON.stringify(other)))
          .map(([id]) => `${file}:${id}`),
      );
      expect(holders).to.deep.equal(['deploy.yml:deploy']);
      // No job holding a Pulumi token covers prod under the repository's organisation.
      for (const file of files) {
        for (const [id, other] of Object.entries(workflow(file).jobs)) {
          const text = JSON.stringify(other);
          if (!text.includes('secrets.PULUMI_ACCESS_TOKEN')) continue;
          expect(jobStacks(other), `${file}:${id}`).to.not.include('prod');
          expect(text, `${file}:${id}`).to.not.match(/PULUMI_ORG \}\}\/prod|\{0\}\/prod', vars\.PULUMI_ORG\)/);
        }
      }
    });

    it('migrates before traffic moves, lets pulumi up build and push the images, rotates, then checks health', () => {
      const migrate = index(/on-hosts\.sh \\"\$STACK\\" migrate up \\/);
      const up = index(/"command":"up"/);
      const firstMigrate = index(/Migrations of a first deploy/);
      const logins = index(/on-hosts\.sh \\"\$STACK\\" migrate logins/);
      const rotate = index(/on-hosts\.sh \\"\$STACK\\" rotate image/);
      const health = index(/Public health check/);
      expect([migrate, up, firstMigrate, logins, rotate, health].every((i) => i >= 0)).to.equal(true);
      expect(migrate).to.be.lessThan(up);
      expect(up).to.be.lessThan(firstMigrate);
      // Every deploy, after the up wrote the components' passwords (and the first deploy's migrations), before the rotation.
      expect(firstMigrate).to.be.lessThan(logins);
      expect(logins).to.be.lessThan(rotate);
      // Also after a failed up or secrets step (test/workflows/deploy-review.test.ts runs the cases).
      expect(steps[logins]!.if).to.equal(
        "${{ !cancelled() && steps.up.outcome != 'skipped' && (steps.stack.outputs.previous-tag != '' || steps.first-migrate.outcome == 'success') }}",
      );
      expect(rotate).to.be.lessThan(health);
      // A stack with a deployed tag migrates before the up; a first deploy (no tag yet) right after it.
      expect(steps[migrate]!.if).to.equal("steps.stack.outputs.previous-tag != ''");
      expect(steps[firstMigrate]!.if).to.equal("steps.stack.outputs.previous-tag == ''");
      // BuildKit (with QEMU for the arm64 API image) is ready before the up that builds.
      expect(index(/docker\/setup-buildx-action@/)).to.be.within(0, up - 1);
      expect(index(/docker\/setup-qemu-action@/)).to.be.within(0, up - 1);
    });

    it('no workflow builds, logs in to or pushes to ECR by hand: the program does (registry.ts)', () => {
      for (const file of ['deploy.yml', 'ephemeral.yml']) {
        const text = source(file);
        expect(text, file).to.not.match(/docker (build|push|login)|build-push-action|amazon-ecr-login|get-login-password/);
        expect(text, file).to.not.match(/--target\b/);
      }
      // The pull request only checks that both images build, pushing nothing.
      const pr = workflow('pull-request.yml');
      const builds = pr.jobs['build']!.steps!.filter((step) => step.uses?.startsWith('docker/build-push-action@'));
      expect(builds.map((step) => step.with?.['push'])).to.deep.equal([false, false]);
    });

    it('rolls back by itself when the health check fails', () => {
      const rollback = steps.find((step) => /on-hosts\.sh "\$STACK" rotate rollback/.test(step.run ?? ''));
      expect(rollback?.if).to.equal("failure() && steps.rotate.outcome != 'skipped' && steps.stack.outputs.previous-tag != ''");
      expect(rollback?.run).to.contain('imageTag "$PREVIOUS_TAG"');
    });

    it('never overlaps two deploys of one stack', () => {
      expect(concurrencyProblems(deploy, ['deploy'])).to.deep.equal([]);
    });
  });

  describe('the Pulumi CLI', () => {
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { version?: string }> };
    const sdk = lock.packages['node_modules/@pulumi/pulumi']?.version;

    it('every Pulumi action installs the CLI of the SDK version the lock file pins', () => {
      expect(sdk).to.match(/^\d+\.\d+\.\d+$/);
      for (const file of ['pull-request.yml', 'ephemeral.yml', 'deploy.yml']) {
        const wf = workflow(file);
        expect((wf as { env?: Record<string, string> }).env?.['PULUMI_VERSION'], file).to.equal(sdk);
        const actions = Object.values(wf.jobs).flatMap((job) => (job.steps ?? []).filter((step) => step.uses?.startsWith('pulumi/actions@')));
        expect(actions.length, file).to.be.greaterThan(0);
        for (const step of actions) expect(step.with?.['pulumi-version'], `${file}: ${step.name}`).to.equal('${{ env.PULUMI_VERSION }}');
      }
    });
  });

  describe('the checks themselves fail on broken workflows', () => {
    const broken = `
on: push
jobs:
  a:
    runs-on: ubuntu-latest
    needs: [ghost]
    steps:
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          aws-access-key-id: \${{ secrets.AWS_ACCESS_KEY_ID }}
          aws-region: us-east-1
      - run: echo \${{ secrets.UNDOCUMENTED_TOKEN }}
      - run: echo "\${{ github.event.pull_request.base.ref }}" "\${{ github.head_ref }}" "\${{ github.event.pull_request.number }}"
`;
    it('reports unknown needs, undocumented secrets and long-lived keys', async () => {
      const parsed = readWorkflow(broken);
      expect(missingNeeds(parsed)).to.deep.equal(['job a needs unknown job ghost']);
      expect(await schemaProblems('broken.yml', broken)).to.not.deep.equal([]);
      expect(documentedNames(readme, 'secret').has('UNDOCUMENTED_TOKEN')).to.equal(false);
      expect(credentialProblems(parsed, broken)).to.include.members([
        'a: configure-aws-credentials without role-to-assume',
        'a: long-lived AWS keys passed to configure-aws-credentials',
        'a: assumes an AWS role without permissions id-token: write',
      ]);
      expect(concurrencyProblems(parsed, ['a'])).to.deep.equal(['a: no concurrency group']);
      expect(shellInjectionProblems(parsed)).to.deep.equal([
        'a: echo "${{ github.event.pull_request.base.ref }}" "${{ github.head_ref }}" "${{ github.event.pull_request.number }}": expands ${{ github.event.pull_request.base.ref }} into the script',
        'a: echo "${{ github.event.pull_request.base.ref }}" "${{ github.head_ref }}" "${{ github.event.pull_request.number }}": expands ${{ github.head_ref }} into the script',
      ]);
    });

    it('reports schema errors', async () => {
      expect((await schemaProblems('bad.yml', 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n')).join('\n')).to.contain("Unexpected value 'stepz'");
    });
  });
});

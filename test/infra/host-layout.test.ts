/**
 * The boot scripts the stacks render and the deploy tooling must describe the same hosts: these
 * tests read the user data of the dev and prod stacks (under mocks) and hold it against
 * `scripts/deploy` (the rotation's docker commands and defaults), `on-hosts.sh` and the app
 * Dockerfiles, so a change on one side that the other does not follow fails here.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv, promisify } from 'node:util';
import { REPO_ROOT } from '../../infra/bundles.ts';
import { DEPLOY_PREFIX } from '../../infra/components/api.ts';
import { PER_BOOT_SCRIPT } from '../../infra/boot-scripts.ts';
import { devHostFiles, devHostSecretsSchema } from '../../infra/devhost-env.ts';
import { HOST_NGINX } from '../../infra/host-nginx.ts';
import {
  BUNDLE_DIR,
  containerRunArgs,
  envFileContent,
  HOST_APPS,
  HOST_NODE,
  HOST_NODE_PACKAGE,
  hostAppsFor,
  IMAGE_STATE_DIR,
  localHealthUrl,
  SSH_USER,
  type HostAppName,
} from '../../infra/host-layout.ts';
import { HOST_BUNDLES } from '../../scripts/deploy/bundle.ts';
import { hostApp } from '../../scripts/deploy/cli.ts';
import { dockerCommands } from '../../scripts/deploy/docker.ts';
import { hostImagesSchema } from '../../scripts/deploy/rotation.ts';
import { mockState } from '../../scripts/plan/mocks.ts';
import type { OfflineRun } from '../../scripts/plan/offline-run.ts';
import { OFFLINE_IMAGE_TAG } from '../../scripts/plan/stack-config.ts';
import { bootScript, one, stackRun, TYPES, writtenFile } from './fixture.ts';

const run = promisify(execFile);

/** Runs one line of the script under bash with `docker` recording its argv: quoting resolved as on the host. */
async function dockerArgv(line: string): Promise<string[]> {
  const { stdout } = await run('bash', ['-c', `docker() { printf '%s\\0' "$@"; }\n${line}`]);
  return stdout.split('\0').slice(0, -1);
}

function repositoryOf(stackRun: OfflineRun, app: HostAppName): string {
  return String(stackRun.outputs[`${app}RepositoryUrl`]);
}

describe('host layout: boot scripts and deploy tooling agree', () => {
  for (const stack of ['dev', 'prod'] as const) {
    describe(stack, () => {
      it(stack === 'prod' ? 'starts each app with exactly the docker run the rotation uses' : 'starts no app and pulls nothing: the first rotation does, once the deploy has written the key', async () => {
        const stackRunResult = await stackRun(stack);
        const script = bootScript(stackRunResult);
        const apps = stackRunResult.outputs['hostApps'] as HostAppName[];
        expect(apps).to.deep.equal(hostAppsFor(stack));
        if (stack === 'dev') {
          // No AWS key in user data, so no ECR pull could work here (scripts/deploy/host-secrets.ts writes it).
          expect(script.split('\n').filter((l) => /^docker (run|pull|tag)\b/.test(l))).to.deep.equal([]);
          return;
        }
        for (const app of apps) {
          const line = script.split('\n').find((l) => l.startsWith(`docker run --detach --name ${HOST_APPS[app].container} `));
          expect(line, `${app}: docker run line`).to.be.a('string');
          const repository = repositoryOf(stackRunResult, app);
          const rotation = dockerCommands({ type: 'restart' }, hostApp({ app, repository, stateDir: IMAGE_STATE_DIR, runArg: [] }))[1];
          expect(await dockerArgv(line!)).to.deep.equal(rotation);
          // The boot image is the build this stack pushed, pulled by its digest and tagged with the commit as the rotation would.
          const image = one(stackRunResult, 'docker-build:index:Image', `-${app}-image`);
          expect(image.inputs['tags']).to.deep.equal([`${repository}:${OFFLINE_IMAGE_TAG}`]);
          const digest = String(mockState(image.type, image.name, image.inputs, 'us-east-1')['digest']);
          expect(digest).to.match(/^sha256:[0-9a-f]{64}$/);
          expect(script).to.contain(
            [`docker pull --quiet '${repository}@${digest}'`, `docker tag '${repository}@${digest}' '${repository}:${OFFLINE_IMAGE_TAG}'`, `docker tag '${repository}@${digest}' '${repository}:latest'`].join('\n'),
          );
        }
      });

      it('writes each app its env file, listening where the layout says', async () => {
        const stackRunResult = await stackRun(stack);
        const script = bootScript(stackRunResult);
        // Dev: the API's env file holds secrets, so the deploy writes it over SSH (infra/devhost-env.ts).
        const envFile = (app: HostAppName) =>
          stack === 'dev' && app === 'api' ? devHostFiles(devHostSecretsSchema.parse(stackRunResult.outputs['devHostSecrets'])).find((f) => f.path === HOST_APPS.api.envFile)!.content : writtenFile(script, HOST_APPS[app].envFile);
        for (const app of hostAppsFor(stack)) {
          const env = parseEnv(envFile(app));
          expect(env['PORT'], app).to.equal(String(HOST_APPS[app].containerPort));
          if (app === 'web') expect(env['API_INTERNAL_URL']).to.equal(`http://${HOST_APPS.api.container}:${HOST_APPS.api.containerPort}`);
        }
        if (stack === 'dev') {
          expect(parseEnv(envFile('api'))['DATABASE_URL']).to.match(/^postgres:\/\//);
          expect(() => writtenFile(script, HOST_APPS.api.envFile)).to.throw(/writes no/);
        }
        // Prod's DATABASE_URL comes from SSM at boot, appended to the same file.
        else expect(script).to.match(new RegExp(`printf 'DATABASE_URL=%s\\\\n' .*aws ssm get-parameter.* >> ${HOST_APPS.api.envFile}$`, 'm'));
      });

      if (stack === 'prod') {
        it('records the boot image as the rotation reads it, once it answers the health URL the rotation polls', async () => {
          const script = bootScript(await stackRun(stack));
          for (const app of hostAppsFor(stack)) {
            expect(script).to.contain(`curl --fail --silent --output /dev/null '${localHealthUrl(app)}'`);
            const record = new RegExp(`echo '(.*)' > ${IMAGE_STATE_DIR}/${app}\\.json`).exec(script);
            expect(record, `${app} record`).to.not.equal(null);
            expect(hostImagesSchema.parse(JSON.parse(record![1]!))).to.deep.equal({ images: [{ tag: OFFLINE_IMAGE_TAG, status: 'good' }], running: OFFLINE_IMAGE_TAG });
          }
        });
      }

      it('fronts the apps with Nginx on the published ports, keeping the /api prefix', async () => {
        const script = bootScript(await stackRun(stack));
        const nginx = writtenFile(stack === 'prod' ? writtenFile(script, PER_BOOT_SCRIPT) : script, HOST_NGINX.config);
        const servers = [...nginx.matchAll(/^\s*server (\S+);/gm)].map((m) => m[1]);
        expect(new Set(servers)).to.deep.equal(new Set(hostAppsFor(stack).map((app) => `127.0.0.1:${HOST_APPS[app].hostPort}`)));
        // No URI after the upstream, so `/api/health` reaches the API as `/api/health`.
        expect([...nginx.matchAll(/proxy_pass (\S+);/g)].map((m) => m[1])).to.satisfy((passes: string[]) => passes.every((pass) => /^http:\/\/(api|web)$/.test(pass)));
        expect(nginx).to.match(/location \/api\/ \{[^}]*proxy_pass http:\/\/api;/);
      });

      it('is a script bash accepts', async () => {
        await run('bash', ['-n', '-c', bootScript(await stackRun(stack))]);
      });

      it('installs what the host bundles need: Node by the name on-hosts.sh calls, and the ECR credential helper', async () => {
        const script = bootScript(await stackRun(stack));
        expect(script).to.match(new RegExp(`^dnf install -y .*\\b${HOST_NODE_PACKAGE}\\b`, 'm'));
        expect(HOST_NODE).to.equal(`/usr/bin/node-${HOST_NODE_PACKAGE.replace('nodejs', '')}`);
        expect(script).to.contain('amazon-ecr-credential-helper').and.contain('"ecr-login"');
        expect(script).to.contain(`install -d -m 755 ${BUNDLE_DIR}`);
      });
    });
  }

  it('the load balancer checks the API on the path the API and the rotation use', async () => {
    const prod = await stackRun('prod');
    expect(one(prod, 'aws:lb/targetGroup:TargetGroup', '-api').inputs['healthCheck']).to.deep.include({ path: HOST_APPS.api.healthPath });
  });

  it('prod storefront containers get the same port, health path and API variable as a host', async () => {
    const prod = await stackRun('prod');
    const deployment = one(prod, 'aws:lightsail/containerServiceDeploymentVersion:ContainerServiceDeploymentVersion', '-deployment');
    const [container] = deployment.inputs['containers'] as { ports: Record<string, string>; environment: Record<string, string> }[];
    expect(container?.ports).to.deep.equal({ [String(HOST_APPS.web.containerPort)]: 'HTTP' });
    // Through CloudFront, the only way to the ALB (test/infra/edge.test.ts).
    expect(container?.environment['API_INTERNAL_URL']).to.equal(prod.outputs['webUrl']);
    expect(deployment.inputs['publicEndpoint']).to.deep.include({ containerPort: HOST_APPS.web.containerPort });
    expect((deployment.inputs['publicEndpoint'] as { healthCheck: { path: string } }).healthCheck.path).to.equal(HOST_APPS.web.healthPath);
  });

  it('CloudFront sends /api/* to the API domain, so the browser uses one origin as on a dev host', async () => {
    const distribution = one(await stackRun('prod'), TYPES.cloudfront, '-cdn');
    const origins = distribution.inputs['origins'] as { originId: string; domainName: string }[];
    const behaviors = distribution.inputs['orderedCacheBehaviors'] as { pathPattern: string; targetOriginId: string }[];
    const api = behaviors.find((b) => b.pathPattern === '/api/*');
    expect(origins.find((o) => o.originId === api?.targetOriginId)?.domainName).to.equal('api.example.com');
  });

  it('the app Dockerfiles expose the layout ports and health-check the layout paths', () => {
    for (const app of ['api', 'web'] as const) {
      const dockerfile = readFileSync(join(REPO_ROOT, 'app', app, 'Dockerfile'), 'utf8');
      expect(/^EXPOSE (\d+)$/m.exec(dockerfile)?.[1], app).to.equal(String(HOST_APPS[app].containerPort));
      expect(dockerfile, app).to.contain(`'${HOST_APPS[app].healthPath}'`);
    }
  });

  it('the rotation CLI defaults to the layout', () => {
    const app = hostApp({ app: 'web', repository: 'r', stateDir: IMAGE_STATE_DIR, runArg: ['--log-driver=journald'] });
    expect(app).to.deep.equal({ repository: 'r', container: 'web', runArgs: [...containerRunArgs('web'), '--log-driver=journald'], stateFile: `${IMAGE_STATE_DIR}/web.json` });
  });

  it('on-hosts.sh uses the layout’s user, folders, Node, env file, bucket prefix and bundles', () => {
    const script = readFileSync(join(REPO_ROOT, 'scripts/deploy/on-hosts.sh'), 'utf8');
    const block = /^# --- host layout.*\n([\s\S]*?)^# ---$/m.exec(script)?.[1] ?? '';
    const values = Object.fromEntries(block.trim().split('\n').map((line) => line.split('=') as [string, string]));
    expect(values).to.deep.equal({
      ssh_user: SSH_USER,
      remote_dir: BUNDLE_DIR,
      host_node: HOST_NODE,
      api_env_file: HOST_APPS.api.envFile,
      deploy_prefix: DEPLOY_PREFIX,
    });
    // Dev: the secret files are written first, from the outputs piped (never a file or an argument), with the run's key.
    const dev = script.split(/^else$/m)[1] ?? '';
    expect(dev).to.match(/^\s+output --json --show-secrets \| npx --no-install tsx "\$here\/host-secrets\.ts" \\\n\s+--host "\$host" --identity "\$work\/key" --known-hosts "\$work\/known_hosts"$/m);
    expect(dev.indexOf('host-secrets.ts')).to.be.greaterThan(dev.indexOf('cloud-init status --wait')).and.lessThan(dev.indexOf('scp '));
    // The bundles, and `secrets` (the dev host's SSH write alone).
    const commands = /\[\[ "\$bundle" == (\w+) \|\| "\$bundle" == (\w+) \|\| "\$bundle" == (\w+) \]\]/.exec(script)?.slice(1);
    expect(commands).to.have.members([...Object.keys(HOST_BUNDLES).map((file) => file.replace(/\.mjs$/, '')), 'secrets']);
  });
});

describe('host layout: env files', () => {
  it('Node reads back exactly what was written (Docker reads these lines literally)', () => {
    const env = {
      DATABASE_URL: 'postgres://marketplace:p%40ss%2Fw%23rd@db.example.com:5432/marketplace?sslmode=verify-full&sslrootcert=aws-rds',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      EVENTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:svg-marketplace-dev-events',
      TRUST_PROXY: 'loopback,uniquelocal',
      EMPTY: '',
    };
    expect(parseEnv(envFileContent(env))).to.deep.equal(env);
  });

  it('refuses values Docker and Node would read differently', () => {
    for (const value of ['a b', 'x#y', '"quoted"', "it's", 'a$b', 'back\\slash', 'line\nbreak']) {
      expect(() => envFileContent({ VALUE: value }), JSON.stringify(value)).to.throw(/would read differently/);
    }
    expect(() => envFileContent({ 'not-a-name': 'x' })).to.throw(/invalid variable name/);
  });
});

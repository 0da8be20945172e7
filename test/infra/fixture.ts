/**
 * Runs the Pulumi program once per stack per test run and shares the result between test files.
 * The Pulumi runtime keeps global state, so every run (and every config check that installs
 * mocks) goes through one queue.
 */
import { runOffline, type OfflineRun, type OfflineRunOptions, type PlannedResource } from '../../scripts/plan/offline-run.ts';
import { ephemeralStackConfig } from '../../scripts/plan/stack-config.ts';
import { mockRandomString } from '../../scripts/plan/mocks.ts';
import { UNIQUE_SUFFIX_LENGTH } from '../../infra/naming.ts';
import { devHostFiles, devHostSecretsSchema } from '../../infra/devhost-env.ts';
import { HOST_APPS } from '../../infra/host-layout.ts';

/**
 * Mocha may load this module twice (through tsx's ESM and CommonJS paths), so the queue and
 * the cache live on globalThis: one per process, like the Pulumi runtime state they guard.
 */
interface SharedState {
  queue: Promise<unknown>;
  runs: Map<string, Promise<OfflineRun>>;
}
const KEY = Symbol.for('svg-marketplace.test.infra.fixture');
const shared = ((globalThis as Record<symbol, SharedState | undefined>)[KEY] ??= { queue: Promise.resolve(), runs: new Map() });

export function runExclusive<T>(work: () => Promise<T>): Promise<T> {
  const result = shared.queue.then(work, work);
  shared.queue = result.catch(() => undefined);
  return result;
}

const runs = shared.runs;

/** The program's resources for a stack with its committed config (pr-<n>: the file the ephemeral workflow writes from dev's). */
export function stackRun(stack: 'dev' | 'prod' | 'pr-7'): Promise<OfflineRun> {
  let run = runs.get(stack);
  if (!run) {
    run = runExclusive(() => runOffline(stack, stack === 'pr-7' ? { stackFile: ephemeralStackConfig(stack) } : {}));
    runs.set(stack, run);
  }
  return run;
}

/** A one-off run with config overrides (not cached). */
export function customRun(stack: string, options: OfflineRunOptions): Promise<OfflineRun> {
  return runExclusive(() => runOffline(stack, options));
}

export function ofType(run: OfflineRun, type: string): PlannedResource[] {
  return run.resources.filter((r) => r.type === type);
}

export function one(run: OfflineRun, type: string, nameSuffix: string): PlannedResource {
  const found = run.resources.filter((r) => r.type === type && r.name.endsWith(nameSuffix));
  if (found.length !== 1) throw new Error(`expected one ${type} named *${nameSuffix}, found ${found.length}`);
  return found[0] as PlannedResource;
}

/** A bucket's physical name under the mocks: `svg-marketplace-<stack>-<slug>-<the stack's random suffix>`. */
export function bucketName(stack: string, slug: string): string {
  return `svg-marketplace-${stack}-${slug}-${mockRandomString(`svg-marketplace-${stack}-name-suffix`, UNIQUE_SUFFIX_LENGTH)}`;
}

/** The boot script of a stack's app host, decoded from its resource inputs. */
export function bootScript(stackRun: OfflineRun): string {
  if (stackRun.outputs['shape'] === 'prod') {
    return Buffer.from(String(one(stackRun, TYPES.launchTemplate, '-api').inputs['userData']), 'base64').toString();
  }
  return String(one(stackRun, TYPES.lightsailInstance, '-host').inputs['userData']);
}

/**
 * The API's env file as its host gets it: a dev host's is written by the deploy over SSH from the stack's
 * `devHostSecrets` output; prod's boot script writes the plain part (its secrets it appends from SSM).
 */
export function apiEnvFile(stackRun: OfflineRun): string {
  if (stackRun.outputs['shape'] === 'dev') {
    return devHostFiles(devHostSecretsSchema.parse(stackRun.outputs['devHostSecrets'])).find((f) => f.path === HOST_APPS.api.envFile)!.content;
  }
  return writtenFile(bootScript(stackRun), HOST_APPS.api.envFile);
}

/** The literal heredoc a script writes to `path`. */
export function writtenFile(script: string, path: string): string {
  const match = new RegExp(`^cat > ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} <<'(\\w+)'\\n([\\s\\S]*?)^\\1$`, 'm').exec(script);
  if (!match) throw new Error(`the script writes no ${path}`);
  return match[2]!;
}

export const TYPES = {
  bucket: 'aws:s3/bucket:Bucket',
  publicAccessBlock: 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
  encryption: 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
  versioning: 'aws:s3/bucketVersioning:BucketVersioning',
  lifecycle: 'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration',
  notification: 'aws:s3/bucketNotification:BucketNotification',
  fn: 'aws:lambda/function:Function',
  mapping: 'aws:lambda/eventSourceMapping:EventSourceMapping',
  queue: 'aws:sqs/queue:Queue',
  topic: 'aws:sns/topic:Topic',
  rule: 'aws:cloudwatch/eventRule:EventRule',
  target: 'aws:cloudwatch/eventTarget:EventTarget',
  logGroup: 'aws:cloudwatch/logGroup:LogGroup',
  alarm: 'aws:cloudwatch/metricAlarm:MetricAlarm',
  dashboard: 'aws:cloudwatch/dashboard:Dashboard',
  rolePolicy: 'aws:iam/rolePolicy:RolePolicy',
  userPolicy: 'aws:iam/userPolicy:UserPolicy',
  rds: 'aws:rds/instance:Instance',
  ec2: 'aws:ec2/instance:Instance',
  launchTemplate: 'aws:ec2/launchTemplate:LaunchTemplate',
  asg: 'aws:autoscaling/group:Group',
  alb: 'aws:lb/loadBalancer:LoadBalancer',
  listener: 'aws:lb/listener:Listener',
  cloudfront: 'aws:cloudfront/distribution:Distribution',
  webAcl: 'aws:wafv2/webAcl:WebAcl',
  webAclAssociation: 'aws:wafv2/webAclAssociation:WebAclAssociation',
  lightsailInstance: 'aws:lightsail/instance:Instance',
  lightsailDatabase: 'aws:lightsail/database:Database',
  lightsailContainers: 'aws:lightsail/containerService:ContainerService',
  ecr: 'aws:ecr/repository:Repository',
  ecrLifecycle: 'aws:ecr/lifecyclePolicy:LifecyclePolicy',
  vpc: 'awsx:ec2:Vpc',
  vpcEndpoint: 'aws:ec2/vpcEndpoint:VpcEndpoint',
  route: 'aws:ec2/route:Route',
  provider: 'pulumi:providers:aws',
} as const;

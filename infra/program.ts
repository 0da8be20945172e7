import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { Api, apiPublicOrigin } from './components/api.ts';
import { AssetsCdn } from './components/assets-cdn.ts';
import { DATABASE_USER, databasePassword, DevDatabase, postgresUrlFor, ProdDatabase, type DatabaseEndpoint } from './components/database.ts';
import { DatabaseLogins, type MasterPassword } from './components/database-logins.ts';
import { DevHost, HOST_DATABASE_ENDPOINT } from './components/devhost.ts';
import { type ClientTls, DatabaseTls } from './components/database-tls.ts';
import { PGBOUNCER_PORT } from './pgbouncer.ts';
import { EDGE_REGION, Frontend } from './components/frontend.ts';
import { Monitoring } from './components/monitoring.ts';
import { Network } from './components/network.ts';
import { Notifications } from './components/notifications.ts';
import { type LambdaSettings, Pipeline, type PipelineNetwork } from './components/pipeline.ts';
import { type AppImage, type ImagePlatform, Registry } from './components/registry.ts';
import { Search } from './components/search.ts';
import { Storage } from './components/storage.ts';
import { Payouts } from './components/payouts.ts';
import { StripeSecrets } from './components/stripe-secrets.ts';
import { Mail } from './components/mail.ts';
import type { InfraConfig } from './config.ts';
import type { DevHostSecrets } from './devhost-env.ts';
import { componentType } from './component-type.ts';
import { createNamer, FIXED_NAME, type Namer, physicalName, UNIQUE_SUFFIX_LENGTH } from './naming.ts';
import { hostAppsFor, type HostAppName } from './host-layout.ts';
import { instanceArchitecture } from './hosts.ts';

/**
 * What `pulumi stack output` shows an operator and what the workflows and `scripts/deploy/on-hosts.sh`
 * read (a test checks every output they read is here). Connection strings and keys stay secrets.
 */
export interface StackOutputs {
  shape: string;
  /** The commit tag the stack runs: what a failed deploy rolls the stack back to. */
  imageTag: string;
  /** The apps the rotation runs on this stack's hosts. */
  hostApps: HostAppName[];
  webUrl: pulumi.Output<string>;
  /** Base URL of the API routes (`<origin>/api`): `${apiUrl}/health` answers when it is up. */
  apiUrl: pulumi.Output<string>;
  uploadsBucket: pulumi.Output<string>;
  assetsBucket: pulumi.Output<string>;
  downloadsBucket: pulumi.Output<string>;
  imageQueueUrl: pulumi.Output<string>;
  previewQueueUrl: pulumi.Output<string>;
  eventsTopicArn: pulumi.Output<string>;
  opsTopicArn: pulumi.Output<string>;
  apiRepositoryUrl: pulumi.Output<string>;
  webRepositoryUrl: pulumi.Output<string>;
  /** The master user's URL: with its password in dev; without it in prod (AWS keeps it in Secrets Manager). */
  databaseUrl: pulumi.Output<string>;
  /**
   * The environment of the deploy's database step (`on-hosts.sh … migrate up|logins`): the master URL without
   * its password, where the host reads it, and each component's login with its password's parameter. No secret.
   */
  databaseMigration: pulumi.Output<Record<string, string>>;
  /** Dev shape: the API's own database URL (`api_login`, secret), for the host's API env file. */
  apiDatabaseUrl?: pulumi.Output<string>;
  devHostIp?: pulumi.Output<string>;
  /** The Lightsail instance the deploy opens SSH on for its own address while it runs. */
  devHostName?: pulumi.Output<string>;
  /** Private key for the dev host's SSH user (secret). */
  devHostSshKey?: pulumi.Output<string>;
  /** What the deploy writes to the dev host over SSH: its AWS key, the API's environment and secrets (secret; infra/devhost-env.ts). */
  devHostSecrets?: pulumi.Output<DevHostSecrets>;
  /** Prod: the bucket the deploy ships host bundles through, and the Name tag of the instances it runs them on. */
  deployBucket?: pulumi.Output<string>;
  apiInstanceName?: string;
  /** Prod: where the apiDomainName CNAME points. */
  apiLoadBalancerDnsName?: pulumi.Output<string>;
  dashboardName?: pulumi.Output<string>;
}

/** Tags on every taggable resource, so a bill can be split by stack: the providers' default tags. */
export function stackTags(config: Pick<InfraConfig, 'project' | 'stack'>): Record<string, string> {
  return { project: config.project, stack: config.stack, 'managed-by': 'pulumi' };
}

/** What every shape shares: the stack's naming, its AWS provider, and the components both shapes run. */
interface Common {
  config: InfraConfig;
  naming: Namer;
  tags: Record<string, string>;
  /** Options for a top-level component: the stack's AWS provider, which its children inherit. */
  opts: pulumi.ComponentResourceOptions;
  storage: Storage;
  registry: Registry;
  notifications: Notifications;
  stripe: StripeSecrets;
  mail: Mail | undefined;
  /** pr-<n> stacks and dev: the policy ARN every IAM role and user the stack creates is bounded by (config `permissionsBoundaryPolicy`). */
  permissionsBoundary: pulumi.Output<string> | undefined;
}

/** Composes the components for the stack's shape; the one place dev and prod differ. */
export function createInfrastructure(config: InfraConfig): StackOutputs {
  // Kept in the stack's state: the same on every run, different for every stack in every account.
  const suffix = new random.RandomString(physicalName(config.project, config.stack, 'name-suffix'), { length: UNIQUE_SUFFIX_LENGTH, special: false, upper: false });
  const naming = createNamer(config.project, config.stack, suffix.result);
  const tags = stackTags(config);
  // One explicit provider: every resource gets the stack's tags, and none falls back to the default provider.
  const provider = new aws.Provider(naming('aws'), { region: config.region, defaultTags: { tags } });
  const opts: pulumi.ComponentResourceOptions = { providers: { aws: provider } };
  const retainData = config.removal === 'retain';
  // The account is the one the stack deploys to (the policy is the bootstrap's, per account); `arn:aws` as the bootstrap's own ARNs.
  const permissionsBoundary = config.permissionsBoundaryPolicy
    ? pulumi.interpolate`arn:aws:iam::${aws.getCallerIdentityOutput({}, { provider }).accountId}:policy/${config.permissionsBoundaryPolicy}`
    : undefined;
  const common: Common = {
    config,
    naming,
    tags,
    opts,
    storage: new Storage(naming('storage'), { naming, rawUploadRetentionDays: config.rawUploadRetentionDays, retainData, ephemeral: config.ephemeral }, opts),
    registry: new Registry(naming('registry'), { naming, retainData, imageTag: config.imageTag, platforms: imagePlatforms(config) }, opts),
    notifications: new Notifications(naming('notifications'), { naming, ...(config.opsEmail ? { opsEmail: config.opsEmail } : {}) }, opts),
    stripe: new StripeSecrets(naming('stripe'), { naming, ...(config.secrets.stripe ? { secrets: config.secrets.stripe } : {}) }, opts),
    mail: config.mailFrom ? new Mail(naming('mail'), { naming, from: config.mailFrom }, opts) : undefined,
    permissionsBoundary,
  };
  return config.shape === 'prod' ? prodShape(common) : devShape(common);
}

function lambdaSettings(config: InfraConfig): LambdaSettings {
  return { runtime: config.lambdaRuntime, architecture: config.lambdaArchitecture, logRetentionDays: config.logRetentionDays };
}

/**
 * Every component's database login (infra/components/database-logins.ts): generated passwords in their
 * SecureStrings, and what the deploy's database step needs, which alone uses the master user.
 */
function databaseLogins(c: Common, endpoint: DatabaseEndpoint, masterUrl: pulumi.Output<string>, master: MasterPassword): DatabaseLogins {
  const { config, naming } = c;
  return new DatabaseLogins(naming('database-logins'), { naming, region: config.region, rotation: config.databaseLoginRotation, endpoint, masterUrl, master }, c.opts);
}

function pipeline(c: Common, logins: DatabaseLogins, network?: PipelineNetwork, tls?: ClientTls): Pipeline {
  const { config, naming } = c;
  return new Pipeline(
    naming('pipeline'),
    {
      naming,
      lambda: lambdaSettings(config),
      functions: config.functions,
      preview: {
        delaySeconds: config.previewDelaySeconds,
        sampleSize: config.previewSampleSize,
        maxAttempts: config.previewMaxAttempts,
        retryDelaySeconds: config.previewRetryDelaySeconds,
        stallSeconds: config.previewStallSeconds,
      },
      logLevel: config.logLevel,
      storage: c.storage,
      notifications: c.notifications,
      database: logins.logins.pipeline,
      ...(tls ? { tls } : {}),
      ...(network ? { network } : {}),
      ...(c.permissionsBoundary ? { permissionsBoundary: c.permissionsBoundary } : {}),
    },
    c.opts,
  );
}

/** The scheduled payout job, with its database login and Stripe key. */
function payouts(c: Common, logins: DatabaseLogins, network?: PipelineNetwork, tls?: ClientTls): Payouts {
  const { config, naming } = c;
  // Only prod is monitored (infra/components/monitoring.ts): its failed runs alarm to the ops topic.
  return new Payouts(
    naming('payouts'),
    {
      naming,
      region: config.region,
      lambda: lambdaSettings(config),
      logLevel: config.logLevel,
      database: logins.logins.payouts,
      ...(tls ? { tls } : {}),
      stripe: c.stripe,
      scheduleExpression: config.payoutSchedule,
      thresholdCents: config.payoutThresholdCents,
      ...(config.shape === 'prod' ? { opsTopicArn: c.notifications.opsTopic.arn } : {}),
      ...(network ? { network } : {}),
      ...(c.permissionsBoundary ? { permissionsBoundary: c.permissionsBoundary } : {}),
    },
    c.opts,
  );
}

function devShape(c: Common): StackOutputs {
  const { config, naming, opts, storage, registry, notifications, stripe, mail } = c;
  const password = databasePassword(naming('db-password'), config.secrets.databasePassword);
  const database =
    config.devDatabase === 'managed'
      ? new DevDatabase(naming('database'), { naming, region: config.region, retainData: config.removal === 'retain', bundleId: config.devDatabaseBundle, password }, opts)
      : undefined;
  const assetsCdn = new AssetsCdn(naming('assets-cdn'), { naming, storage }, opts);
  // The pipeline's functions need the host's database URL and the host's API needs the pipeline's
  // queues: the queues reach the host as an output resolved once the pipeline exists.
  const [queues, resolveQueues] = pulumi.deferredOutput<{ previewUrl: string; previewArn: string; imageUrl: string; imageArn: string }>();
  // The Lambdas reach the database through PgBouncer on the host's address: its certificate needs it before the host exists.
  const [hostAddress, resolveHostAddress] = pulumi.deferredOutput<string>();
  // Neither database is public: the host's containers reach it (a host database by its container's name), and the
  // deploy's migrations run on the host (a host database on its loopback).
  const endpoint = database ? database.endpoint : HOST_DATABASE_ENDPOINT.container;
  const masterEndpoint = database ? database.endpoint : HOST_DATABASE_ENDPOINT.loopback;
  // Lightsail's PostgreSQL (and the host's) has no managed secret: the deploy reads the stack's password from SSM.
  const logins = databaseLogins(c, endpoint, postgresUrlFor(DATABASE_USER, masterEndpoint), { password });
  const tls = new DatabaseTls(naming('database-tls'), { naming, serverAddress: hostAddress, port: PGBOUNCER_PORT, logins: logins.logins }, opts);
  const tlsLogins = Object.keys(tls.clients).map((component) => logins.logins[component as keyof typeof tls.clients]);
  const host = new DevHost(
    naming('devhost'),
    {
      naming,
      region: config.region,
      keyRotation: config.devHostKeyRotation,
      logLevel: config.logLevel,
      platformCommissionPercent: config.platformCommissionPercent,
      adminCidrs: config.adminCidrs,
      registry,
      storage,
      assetsBaseUrl: assetsCdn.url,
      assetsDistributionArn: assetsCdn.distribution.arn,
      queues: { previewUrl: queues.previewUrl, previewArn: queues.previewArn, imageUrl: queues.imageUrl, imageArn: queues.imageArn },
      eventsTopicArn: notifications.eventsTopic.arn,
      bundleId: config.devHostBundle,
      stripe,
      mail,
      apiDatabaseUrl: logins.logins.api.urlWithPassword,
      pgbouncer: { tls, upstream: endpoint, logins: tlsLogins.map((l) => ({ user: l.user, password: l.password })) },
      ...(database ? { databaseUrl: database.url } : { databasePassword: password }),
      ...(c.permissionsBoundary ? { permissionsBoundary: c.permissionsBoundary } : {}),
    },
    opts,
  );
  resolveHostAddress(host.staticIp.ipAddress);
  // The deploy's database step runs on the host, with the host's user.
  logins.allowDeployStep({ user: host.user });
  const functions = pipeline(c, logins, undefined, tls.clients.pipeline);
  resolveQueues(pulumi.output(functions.apiQueues));
  payouts(c, logins, undefined, tls.clients.payouts);
  return {
    ...outputs(config, storage, registry, notifications, functions, host.databaseUrl, logins),
    apiDatabaseUrl: host.apiDatabaseUrl!,
    webUrl: host.url,
    apiUrl: pulumi.interpolate`${host.url}/api`,
    devHostIp: host.staticIp.ipAddress,
    devHostName: host.instance.name,
    devHostSshKey: host.sshPrivateKey,
    devHostSecrets: host.secrets,
  };
}

function prodShape(c: Common): StackOutputs {
  const { config, naming, opts, storage, registry, notifications, stripe, mail } = c;
  const retainData = config.removal === 'retain';
  const elasticsearchUrl = config.secrets.elasticsearchUrl;
  if (!elasticsearchUrl) throw new Error('prod searches Elasticsearch: svg-marketplace:elasticsearchUrl is required for the prod shape');
  // CloudFront's WAF ACL lives in us-east-1 whatever the stack's region. It was once the storefront's child: the alias keeps its state.
  const edgeProvider = new aws.Provider(
    naming('edge'),
    { region: EDGE_REGION, defaultTags: { tags: c.tags } },
    { aliases: [{ parent: pulumi.createUrn(naming('frontend'), componentType('Frontend')) }] },
  );
  const network = new Network(
    naming('network'),
    { naming, region: config.region, cidrBlock: config.vpcCidr, availabilityZones: config.availabilityZones, natInstanceType: config.natInstanceType },
    opts,
  );
  const database = new ProdDatabase(
    naming('database'),
    {
      naming,
      retainData,
      network,
      instanceClass: config.dbInstanceClass,
      allocatedStorageGb: config.dbAllocatedStorageGb,
      backupRetentionDays: config.dbBackupRetentionDays,
      multiAz: config.dbMultiAz,
    },
    opts,
  );
  const functionsGroup = new aws.ec2.SecurityGroup(
    naming('functions', 'securityGroup'),
    {
      name: naming('functions', 'securityGroup'),
      description: 'Pipeline functions: no inbound; out to PostgreSQL, S3, SQS, SNS',
      vpcId: network.vpcId,
      egress: [{ protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: ['0.0.0.0/0'], description: 'AWS APIs via NAT and the S3 endpoint' }],
    },
    { parent: network, ...FIXED_NAME },
  );
  database.allowFrom('functions', functionsGroup);
  const functionsNetwork = { subnetIds: network.privateSubnetIds, securityGroupIds: [functionsGroup.id] };
  // AWS keeps the master password (Secrets Manager); every component logs in as its own user.
  const logins = databaseLogins(c, database.endpoint, database.url, { secretArn: database.masterSecretArn });
  const functions = pipeline(c, logins, functionsNetwork);
  payouts(c, logins, functionsNetwork);
  const apiOrigin = apiPublicOrigin(config);
  // The storefront's distribution also serves the previews, on the browser's one origin.
  const frontend = new Frontend(
    naming('frontend'),
    {
      naming,
      edgeProvider,
      registry,
      storage,
      apiOrigin,
      power: config.frontendPower,
      scale: config.frontendScale,
      ...(config.webDomainName ? { domainName: config.webDomainName } : {}),
      ...(config.webCertificateArn ? { certificateArn: config.webCertificateArn } : {}),
      firewall: { rateLimitPer5Minutes: config.wafRateLimitPer5Minutes, blockedIps: config.wafBlockedIps, blockedUserAgents: config.wafBlockedUserAgents },
    },
    opts,
  );
  const api = new Api(
    naming('api'),
    {
      naming,
      region: config.region,
      apiOrigin,
      imageTag: config.imageTag,
      logLevel: config.logLevel,
      platformCommissionPercent: config.platformCommissionPercent,
      elasticsearch: { url: elasticsearchUrl, ...(config.secrets.elasticsearchApiKey ? { apiKey: config.secrets.elasticsearchApiKey } : {}), index: config.elasticsearchIndex },
      instanceType: config.apiInstanceType,
      maxInstances: config.apiMaxInstances,
      warmPoolSize: config.apiWarmPoolSize,
      ...(config.apiCertificateArn ? { certificateArn: config.apiCertificateArn } : {}),
      retainData,
      instanceTags: c.tags,
      network,
      registry,
      storage,
      database,
      login: logins.logins.api,
      eventsTopicArn: notifications.eventsTopic.arn,
      assetsBaseUrl: frontend.url,
      assetsDistributionArn: frontend.distribution.arn,
      queues: functions.apiQueues,
      publicUrl: frontend.url,
      originSecret: frontend.originSecret,
      stripe,
      mail,
    },
    opts,
  );
  // The deploy's database step runs on the API instances (the only hosts in the VPC it reaches them from).
  logins.allowDeployStep({ role: api.role });
  new Search(
    naming('search'),
    { naming, region: config.region, elasticsearchUrl, elasticsearchIndex: config.elasticsearchIndex, network, database, login: logins.logins.search, instanceType: config.logstashInstanceType },
    opts,
  );
  const monitoring = new Monitoring(naming('monitoring'), { naming, region: config.region, pipeline: functions, notifications, api, database }, opts);
  return {
    ...outputs(config, storage, registry, notifications, functions, database.url, logins),
    webUrl: frontend.url,
    // The ALB admits only CloudFront: the API's public address is the storefront's `/api`.
    apiUrl: pulumi.interpolate`${frontend.url}/api`,
    deployBucket: api.deployBucket.name,
    apiInstanceName: api.instanceName,
    apiLoadBalancerDnsName: api.loadBalancer.dnsName,
    dashboardName: monitoring.dashboard.dashboardName,
  };
}

/**
 * What each image is built for: Lightsail (the dev host, prod's container service) runs x86_64;
 * prod's API instances run the architecture of `apiInstanceType`.
 */
export function imagePlatforms(config: Pick<InfraConfig, 'shape' | 'apiInstanceType'>): Record<AppImage, ImagePlatform[]> {
  const api: ImagePlatform = config.shape === 'prod' && instanceArchitecture(config.apiInstanceType) === 'arm64' ? 'linux/arm64' : 'linux/amd64';
  return { api: [api], web: ['linux/amd64'] };
}

function outputs(config: InfraConfig, storage: Storage, registry: Registry, notifications: Notifications, pipeline: Pipeline, databaseUrl: pulumi.Output<string>, logins: DatabaseLogins) {
  return {
    shape: config.shape,
    imageTag: config.imageTag,
    hostApps: hostAppsFor(config.shape),
    uploadsBucket: storage.uploads.name,
    assetsBucket: storage.assets.name,
    downloadsBucket: storage.downloads.name,
    imageQueueUrl: pipeline.imageQueue.queue.url,
    previewQueueUrl: pipeline.previewQueue.queue.url,
    eventsTopicArn: notifications.eventsTopic.arn,
    opsTopicArn: notifications.opsTopic.arn,
    apiRepositoryUrl: registry.repositories.api.repositoryUrl,
    webRepositoryUrl: registry.repositories.web.repositoryUrl,
    databaseUrl: pulumi.secret(databaseUrl),
    databaseMigration: logins.migrationEnv,
  };
}

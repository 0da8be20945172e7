import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { Api, apiPublicOrigin } from './components/api.ts';
import { AssetsCdn } from './components/assets-cdn.ts';
import { databasePassword, DevDatabase, ProdDatabase } from './components/database.ts';
import { DevHost } from './components/devhost.ts';
import { Frontend } from './components/frontend.ts';
import { Monitoring } from './components/monitoring.ts';
import { Network } from './components/network.ts';
import { Notifications } from './components/notifications.ts';
import { Pipeline, type PipelineNetwork } from './components/pipeline.ts';
import { type AppImage, type ImagePlatform, Registry } from './components/registry.ts';
import { Search } from './components/search.ts';
import { Storage } from './components/storage.ts';
import { Payouts } from './components/payouts.ts';
import { StripeSecrets } from './components/stripe-secrets.ts';
import { Mail } from './components/mail.ts';
import type { InfraConfig } from './config.ts';
import type { DevHostSecrets } from './devhost-env.ts';
import { createContext, type StackContext } from './context.ts';
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
  databaseUrl: pulumi.Output<string>;
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

/** Composes the components for the stack's shape; the one place dev and prod differ. */
export function createInfrastructure(config: InfraConfig): StackOutputs {
  const ctx = createContext(config);
  const storage = new Storage(ctx.name('storage'), ctx, { rawUploadRetentionDays: config.rawUploadRetentionDays });
  const registry = new Registry(ctx.name('registry'), ctx, { imageTag: config.imageTag, platforms: imagePlatforms(config) });
  const notifications = new Notifications(ctx.name('notifications'), ctx, config.opsEmail ? { opsEmail: config.opsEmail } : {});
  const stripe = new StripeSecrets(ctx.name('stripe'), ctx, config.secrets.stripe ? { secrets: config.secrets.stripe } : {});
  const shape = config.shape === 'prod' ? prodShape : devShape;
  const mail = config.mailFrom ? new Mail(ctx.name('mail'), ctx, { from: config.mailFrom }) : undefined;
  return shape(ctx, storage, registry, notifications, stripe, mail);
}

/** The scheduled payout job, with the stack's database and Stripe key. */
function payouts(ctx: StackContext, notifications: Notifications, stripe: StripeSecrets, databaseUrl: pulumi.Output<string>, network?: PipelineNetwork): Payouts {
  // Only prod is monitored (infra/components/monitoring.ts): its failed runs alarm to the ops topic.
  return new Payouts(ctx.name('payouts'), ctx, {
    databaseUrl,
    stripe,
    scheduleExpression: ctx.config.payoutSchedule,
    thresholdCents: ctx.config.payoutThresholdCents,
    ...(ctx.config.shape === 'prod' ? { opsTopicArn: notifications.opsTopic.arn } : {}),
    ...(network ? { network } : {}),
  });
}

function devShape(ctx: StackContext, storage: Storage, registry: Registry, notifications: Notifications, stripe: StripeSecrets, mail?: Mail): StackOutputs {
  const { config } = ctx;
  const password = databasePassword(ctx.name('db-password'), config.secrets.databasePassword);
  const database = config.devDatabase === 'managed' ? new DevDatabase(ctx.name('database'), ctx, { bundleId: config.devDatabaseBundle, password }) : undefined;
  const assetsCdn = new AssetsCdn(ctx.name('assets-cdn'), ctx, { storage });
  // The pipeline's functions need the host's database URL and the host's API needs the pipeline's
  // queues: the queues reach the host as an output resolved once the pipeline exists.
  const [queues, resolveQueues] = pulumi.deferredOutput<{ previewUrl: string; previewArn: string; imageUrl: string; imageArn: string }>();
  const host = new DevHost(ctx.name('devhost'), ctx, {
    registry,
    storage,
    assetsBaseUrl: assetsCdn.url,
    assetsDistributionArn: assetsCdn.distribution.arn,
    queues: { previewUrl: queues.previewUrl, previewArn: queues.previewArn, imageUrl: queues.imageUrl, imageArn: queues.imageArn },
    eventsTopicArn: notifications.eventsTopic.arn,
    bundleId: config.devHostBundle,
    stripe,
    mail,
    ...(database ? { databaseUrl: database.url } : { databasePassword: password }),
  });
  const pipeline = new Pipeline(ctx.name('pipeline'), ctx, { storage, notifications, databaseUrl: host.databaseUrl });
  resolveQueues(pulumi.output(pipeline.apiQueues));
  payouts(ctx, notifications, stripe, host.databaseUrl);
  return {
    ...common(config, storage, registry, notifications, pipeline, host.databaseUrl),
    webUrl: host.url,
    apiUrl: pulumi.interpolate`${host.url}/api`,
    devHostIp: host.staticIp.ipAddress,
    devHostName: host.instance.name,
    devHostSshKey: host.sshPrivateKey,
    devHostSecrets: host.secrets,
  };
}

function prodShape(ctx: StackContext, storage: Storage, registry: Registry, notifications: Notifications, stripe: StripeSecrets, mail?: Mail): StackOutputs {
  const { config } = ctx;
  const network = new Network(ctx.name('network'), ctx, { cidrBlock: config.vpcCidr, availabilityZones: config.availabilityZones, natInstanceType: config.natInstanceType });
  const database = new ProdDatabase(ctx.name('database'), ctx, {
    network,
    password: databasePassword(ctx.name('db-password'), config.secrets.databasePassword),
    instanceClass: config.dbInstanceClass,
    allocatedStorageGb: config.dbAllocatedStorageGb,
    backupRetentionDays: config.dbBackupRetentionDays,
    multiAz: config.dbMultiAz,
  });
  const functionsGroup = new aws.ec2.SecurityGroup(
    ctx.name('functions', 'securityGroup'),
    {
      name: ctx.name('functions', 'securityGroup'),
      description: 'Pipeline functions: no inbound; out to PostgreSQL, S3, SQS, SNS',
      vpcId: network.vpcId,
      egress: [{ protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: ['0.0.0.0/0'], description: 'AWS APIs via NAT and the S3 endpoint' }],
      tags: ctx.tags,
    },
    { parent: network },
  );
  database.allowFrom('functions', functionsGroup);
  const pipeline = new Pipeline(ctx.name('pipeline'), ctx, {
    storage,
    notifications,
    databaseUrl: database.url,
    network: { subnetIds: network.privateSubnetIds, securityGroupIds: [functionsGroup.id] },
  });
  payouts(ctx, notifications, stripe, database.url, { subnetIds: network.privateSubnetIds, securityGroupIds: [functionsGroup.id] });
  // The storefront's distribution also serves the previews, on the browser's one origin.
  const frontend = new Frontend(ctx.name('frontend'), ctx, { registry, storage, apiOrigin: apiPublicOrigin(config) });
  const api = new Api(ctx.name('api'), ctx, {
    network,
    registry,
    storage,
    database,
    eventsTopicArn: notifications.eventsTopic.arn,
    assetsBaseUrl: frontend.url,
    assetsDistributionArn: frontend.distribution.arn,
    queues: pipeline.apiQueues,
    publicUrl: frontend.url,
    originSecret: frontend.originSecret,
    stripe,
    mail,
  });
  new Search(ctx.name('search'), ctx, { network, database, instanceType: config.logstashInstanceType });
  const monitoring = new Monitoring(ctx.name('monitoring'), ctx, { pipeline, notifications, api, database });
  return {
    ...common(config, storage, registry, notifications, pipeline, database.url),
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

function common(config: InfraConfig, storage: Storage, registry: Registry, notifications: Notifications, pipeline: Pipeline, databaseUrl: pulumi.Output<string>) {
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
  };
}

import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { ORIGIN_VERIFY_HEADER } from '../../core/edge/origin-verify.ts';
import { componentType } from '../component-type.ts';
import { FIXED_NAME, type Namer } from '../naming.ts';
import { API_SECRET_ENV, apiHostEnv } from '../api-env.ts';
import { apiHostBootScript } from '../boot-scripts.ts';
import type { InfraConfig } from '../config.ts';
import { HOST_APPS } from '../host-layout.ts';
import { amazonLinuxParameter } from '../hosts.ts';
import { apiPipelineStatements, assumeRolePolicy, distributionIdFromArn, objectsUnder, policyDocument, previewWithdrawalStatements } from '../iam.ts';
import type { ProdDatabase } from './database.ts';
import type { ComponentLogin } from './database-logins.ts';
import type { Network } from './network.ts';
import type { PipelineQueueRefs } from './pipeline.ts';
import type { Registry } from './registry.ts';
import type { StripeSecrets } from './stripe-secrets.ts';
import type { Mail } from './mail.ts';
import { CUSTOM_PREFIX, PrivateBucket, type Storage, UPLOAD_PREFIX } from './storage.ts';

/** The managed prefix list of CloudFront's origin-facing addresses: the only sources the ALB admits. */
export const CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST = 'com.amazonaws.global.cloudfront.origin-facing';
/** CloudFront's header with the viewer's address (`ip:port`), which its API behaviour forwards. */
export const VIEWER_ADDRESS_HEADER = 'CloudFront-Viewer-Address';
/** The warm pool's launch hook: an instance enters service only once its boot script sees the API healthy. */
export const LAUNCH_HOOK_NAME = 'api-ready';
export const LAUNCH_HOOK_TIMEOUT_SECONDS = 600;

/** Key prefix of the deploy bucket that host bundles are shipped under (`deploy/<commit>/`). */
export const DEPLOY_PREFIX = 'deploy/';

export interface ApiArgs {
  /** Physical names: `<project>-<stack>-<name>`; the secrets live under `/<project>/<stack>/api/`. */
  naming: Namer;
  /** The stack's region, where the instances call AWS. */
  region: string;
  /** The API's own origin, `https://<apiDomainName>` (`apiPublicOrigin`), which the ALB's certificate names. */
  apiOrigin: string;
  /** The commit tag the instances boot on (stack config `imageTag`). */
  imageTag: string;
  /** The API's `LOG_LEVEL` (stack config `logLevel`). */
  logLevel: InfraConfig['logLevel'];
  /** The platform's share of each sale in percent (stack config `platformCommissionPercent`). */
  platformCommissionPercent: number;
  /** Elastic Cloud, which the API searches: URL with credentials, optional API key (secrets), index. */
  elasticsearch: { url: pulumi.Output<string>; apiKey?: pulumi.Output<string>; index: string };
  /** EC2 type of the API instances (stack config `apiInstanceType`); its architecture picks the AMI. */
  instanceType: string;
  /** Auto Scaling group ceiling (stack config `apiMaxInstances`). */
  maxInstances: number;
  /** Stopped standby instances (stack config `apiWarmPoolSize`); 0 for none. */
  warmPoolSize: number;
  /** ACM certificate for `apiOrigin`'s name (stack config `apiCertificateArn`). */
  certificateArn?: string;
  /** The stack keeps its data (`removal: retain`): the load balancer gets deletion protection. */
  retainData: boolean;
  /**
   * Tags for the instances the Auto Scaling group launches and their volumes: a provider's default
   * tags reach neither a launch template's tag specifications nor an Auto Scaling group's tags.
   */
  instanceTags: Record<string, string>;
  network: Network;
  registry: Registry;
  storage: Storage;
  database: ProdDatabase;
  /** The API's own database login (`api_login`): its DATABASE_URL, never the master user's. */
  login: ComponentLogin;
  /** Topic the API publishes contributor events to. */
  eventsTopicArn: pulumi.Input<string>;
  /** The pipeline queues the API sends to. */
  queues: PipelineQueueRefs;
  /** ARN of the CloudFront distribution serving `assetsBaseUrl` (withdrawn previews are invalidated there). */
  assetsDistributionArn: pulumi.Input<string>;
  /** Public base URL of the previews (the storefront's CloudFront distribution). */
  assetsBaseUrl: pulumi.Input<string>;
  /** The origin browsers reach the API on: the storefront's CloudFront URL (which routes `/api/*` here). */
  publicUrl: pulumi.Input<string>;
  /** The secret CloudFront sends in `x-origin-verify`: the ALB forwards only requests that carry it. */
  originSecret: pulumi.Input<string>;
  /** Stripe's SecureString parameters, which the API reads at start. */
  /** The SES identity account mail comes from (stack config `mailFrom`); absent, the API sends none. */
  mail?: Mail;
  stripe?: StripeSecrets;
}

/** The API's public origin: its own domain, which the ALB's certificate names (the ALB's DNS name does not match it). */
export function apiPublicOrigin(config: Pick<InfraConfig, 'apiDomainName'>): string {
  if (!config.apiDomainName) throw new Error('Api needs apiDomainName (config.ts requires it for the prod shape)');
  return `https://${config.apiDomainName}`;
}

/**
 * The prod API: one hot EC2 instance in an Auto Scaling group with a stopped warm pool as cold
 * standby (pays only for its disk), the API container behind Nginx, and an HTTPS ALB that admits
 * only CloudFront (its origin-facing prefix list, and the secret origin header), whose WAF ACL
 * covers `/api/*`. No regional ACL: behind CloudFront it would only see edge addresses.
 */
export class Api extends pulumi.ComponentResource {
  readonly loadBalancer: aws.lb.LoadBalancer;
  readonly targetGroup: aws.lb.TargetGroup;
  readonly autoScalingGroup: aws.autoscaling.Group;
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly albSecurityGroup: aws.ec2.SecurityGroup;
  /** Private bucket the deploy ships host bundles through (`scripts/deploy/on-hosts.sh`, SSM has no file copy). */
  readonly deployBucket: PrivateBucket;
  /** The `Name` tag of the API instances, which the deploy targets over SSM. */
  readonly instanceName: string;
  /** The instances' role: the deploy's database step runs on them (infra/components/database-logins.ts). */
  readonly role: aws.iam.Role;

  readonly url: pulumi.Output<string>;

  constructor(name: string, args: ApiArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType('Api'), name, {}, opts);
    this.url = pulumi.output(args.apiOrigin);
    const parent = { parent: this };
    const { network, registry, storage, database, naming } = args;

    // Only CloudFront reaches the ALB (its WAF ACL and rate limit apply to every request); the
    // storefront's server calls the API through CloudFront too (app/web/lib/server-api.ts).
    const cloudfrontRanges = aws.ec2.getManagedPrefixListOutput({ name: CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST }, parent);
    const albGroup = new aws.ec2.SecurityGroup(
      naming('alb', 'securityGroup'),
      {
        name: naming('alb', 'securityGroup'),
        description: 'API load balancer: HTTPS from CloudFront origin-facing addresses only',
        vpcId: network.vpcId,
        ingress: [{ protocol: 'tcp', fromPort: 443, toPort: 443, prefixListIds: [cloudfrontRanges.id], description: 'HTTPS from CloudFront' }],
        egress: [{ protocol: 'tcp', fromPort: 80, toPort: 80, cidrBlocks: [network.cidrBlock], description: 'to Nginx on the instances' }],
      },
      { ...parent, ...FIXED_NAME },
    );
    this.securityGroup = new aws.ec2.SecurityGroup(
      naming('api', 'securityGroup'),
      {
        name: naming('api', 'securityGroup'),
        description: 'API instances: Nginx from the load balancer only',
        vpcId: network.vpcId,
        ingress: [{ protocol: 'tcp', fromPort: 80, toPort: 80, securityGroups: [albGroup.id], description: 'from the ALB' }],
        egress: [{ protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: ['0.0.0.0/0'], description: 'ECR, S3, SQS, SNS, PostgreSQL' }],
      },
      { ...parent, ...FIXED_NAME },
    );
    this.albSecurityGroup = albGroup;
    database.allowFrom('api', this.securityGroup);

    // Secrets reach the instance through SSM (encrypted), never through user data.
    const secretParameter = (slug: string, value: pulumi.Input<string>) =>
      new aws.ssm.Parameter(naming(`api-${slug}`), { name: `/${naming.project}/${naming.stack}/api/${slug}`, type: 'SecureString', value }, { ...parent, ...FIXED_NAME });
    const { url: elasticsearchUrl, apiKey } = args.elasticsearch;
    const cursorSecret = new random.RandomPassword(naming('api-cursor-secret'), { length: 48, special: false }, parent);
    const secretParameters: Record<string, aws.ssm.Parameter> = {
      [API_SECRET_ENV.databaseUrl]: secretParameter('database-url', args.login.urlWithPassword),
      [API_SECRET_ENV.cursorSecret]: secretParameter('cursor-secret', cursorSecret.result),
      [API_SECRET_ENV.elasticsearchUrl]: secretParameter('elasticsearch-url', elasticsearchUrl),
      ...(apiKey ? { [API_SECRET_ENV.elasticsearchApiKey]: secretParameter('elasticsearch-api-key', apiKey) } : {}),
    };
    const secretParameterNames = pulumi.all(Object.fromEntries(Object.entries(secretParameters).map(([variable, p]) => [variable, p.name])));

    this.instanceName = naming('api');
    // Holds only what a deploy re-creates: a destroy empties and deletes it in every stack.
    this.deployBucket = new PrivateBucket(
      naming('deploy', 's3Bucket'),
      { bucketName: naming.unique('deploy', 's3Bucket'), versioned: false, forceDestroy: true, retainOnDelete: false },
      parent,
    );
    // Bundles are per commit and re-uploaded by every deploy: a week is plenty.
    new aws.s3.BucketLifecycleConfiguration(
      `${this.deployBucket.logicalName}-lifecycle`,
      { bucket: this.deployBucket.name, rules: [{ id: 'expire-bundles', status: 'Enabled', filter: { prefix: DEPLOY_PREFIX }, expiration: { days: 7 } }] },
      { parent: this.deployBucket },
    );

    const autoScalingGroupName = naming('api', 'autoScalingGroup');
    const role = new aws.iam.Role(naming('api-role', 'iamRole'), { name: naming('api-role', 'iamRole'), assumeRolePolicy: assumeRolePolicy('ec2.amazonaws.com') }, { ...parent, ...FIXED_NAME });
    this.role = role;
    new aws.iam.RolePolicy(
      `${naming('api')}-access`,
      {
        role: role.id,
        policy: policyDocument([
          ...registry.pullStatements(),
          { Sid: 'ReadApiSecrets', Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: Object.values(secretParameters).map((p) => p.arn) },
          // `/api/ready` checks the uploads bucket with HeadBucket, which needs ListBucket on the bucket itself.
          { Sid: 'CheckUploadsBucket', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [storage.uploads.arn] },
          // Presigned URLs carry the API's rights: contributors upload raw ZIPs, buyers download.
          { Sid: 'PresignUploads', Effect: 'Allow', Action: ['s3:PutObject'], Resource: [objectsUnder(storage.uploads.arn, UPLOAD_PREFIX)] },
          { Sid: 'PresignDownloads', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [objectsUnder(storage.downloads.arn), objectsUnder(storage.assets.arn)] },
          // Customised PNG/WebP renders, made on the first request and kept for the next ones.
          { Sid: 'StoreCustomisedRenders', Effect: 'Allow', Action: ['s3:PutObject'], Resource: [objectsUnder(storage.downloads.arn, CUSTOM_PREFIX)] },
          { Sid: 'PublishEvents', Effect: 'Allow', Action: ['sns:Publish'], Resource: [args.eventsTopicArn] },
          ...previewWithdrawalStatements(storage.assets.arn),
          ...apiPipelineStatements({ previewQueueArn: args.queues.previewArn, imageQueueArn: args.queues.imageArn, distributionArn: args.assetsDistributionArn }),
          ...(args.stripe ? [args.stripe.apiReadStatement()] : []),
          ...(args.mail ? [args.mail.apiSendStatement()] : []),
          // `aws s3 cp --recursive` lists the prefix, then reads each bundle.
          { Sid: 'ListDeployBundles', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [this.deployBucket.arn], Condition: { StringLike: { 's3:prefix': [`${DEPLOY_PREFIX}*`] } } },
          { Sid: 'ReadDeployBundles', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [objectsUnder(this.deployBucket.arn, DEPLOY_PREFIX)] },
          // The boot script lets the group put the instance in service once the API answers (the launch hook).
          { Sid: 'CompleteLaunchHook', Effect: 'Allow', Action: ['autoscaling:CompleteLifecycleAction'], Resource: [`arn:aws:autoscaling:${args.region}:*:autoScalingGroup:*:autoScalingGroupName/${autoScalingGroupName}`] },
        ]),
      },
      parent,
    );
    // Session Manager instead of SSH: no key pairs, no port 22.
    new aws.iam.RolePolicyAttachment(`${naming('api')}-ssm`, { role: role.name, policyArn: aws.iam.ManagedPolicy.AmazonSSMManagedInstanceCore }, parent);
    const profile = new aws.iam.InstanceProfile(naming('api-profile', 'iamRole'), { name: naming('api-profile', 'iamRole'), role: role.name }, { ...parent, ...FIXED_NAME });

    const userData = pulumi
      .output({
        repository: registry.repositories.api.repositoryUrl,
        digest: registry.digest('api'),
        parameters: secretParameterNames,
        uploads: storage.uploads.name,
        assets: storage.assets.name,
        downloads: storage.downloads.name,
        topic: args.eventsTopicArn,
        assetsBaseUrl: args.assetsBaseUrl,
        publicUrl: args.publicUrl,
        previewQueueUrl: args.queues.previewUrl,
        imageQueueUrl: args.queues.imageUrl,
        distributionId: distributionIdFromArn(args.assetsDistributionArn),
        stripeParameters: args.stripe?.parameterNames,
      })
      .apply((v) =>
        apiHostBootScript({
          region: args.region,
          api: { repository: v.repository, tag: args.imageTag, digest: v.digest },
          secretParameters: v.parameters,
          launchHook: { autoScalingGroupName, hookName: LAUNCH_HOOK_NAME },
          apiEnv: apiHostEnv({
            buckets: { uploads: v.uploads, assets: v.assets, downloads: v.downloads },
            assetsBaseUrl: v.assetsBaseUrl,
            publicUrl: v.publicUrl,
            eventsTopicArn: v.topic,
            queueUrls: { preview: v.previewQueueUrl, image: v.imageQueueUrl },
            cloudfrontDistributionId: v.distributionId,
            logLevel: args.logLevel,
            search: { backend: 'elasticsearch', index: args.elasticsearch.index },
            platformCommissionPercent: args.platformCommissionPercent,
            clientAddressHeader: VIEWER_ADDRESS_HEADER,
            ...(v.stripeParameters ? { stripeParameters: v.stripeParameters } : {}),
            ...(args.mail ? { mailFrom: args.mail.from } : {}),
          }),
        }),
      );

    const launchTemplate = new aws.ec2.LaunchTemplate(
      naming('api', 'launchTemplate'),
      {
        name: naming('api', 'launchTemplate'),
        imageId: `resolve:ssm:${amazonLinuxParameter(args.instanceType)}`,
        instanceType: args.instanceType,
        iamInstanceProfile: { arn: profile.arn },
        vpcSecurityGroupIds: [this.securityGroup.id],
        metadataOptions: { httpTokens: 'required', httpEndpoint: 'enabled' },
        blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { volumeType: 'gp3', volumeSize: 8, encrypted: 'true', deleteOnTermination: 'true' } }],
        userData: userData.apply((script) => Buffer.from(script).toString('base64')),
        updateDefaultVersion: true,
        tagSpecifications: [{ resourceType: 'instance', tags: { ...args.instanceTags, Name: naming('api') } }],
      },
      { ...parent, ...FIXED_NAME },
    );

    this.targetGroup = new aws.lb.TargetGroup(
      naming('api', 'targetGroup'),
      {
        name: naming('api', 'targetGroup'),
        port: 80,
        protocol: 'HTTP',
        vpcId: network.vpcId,
        targetType: 'instance',
        deregistrationDelay: 30,
        healthCheck: { path: HOST_APPS.api.healthPath, matcher: '200', interval: 15, healthyThreshold: 2, unhealthyThreshold: 3, timeout: 5 },
      },
      { ...parent, ...FIXED_NAME },
    );
    this.loadBalancer = new aws.lb.LoadBalancer(
      naming('api', 'loadBalancer'),
      {
        name: naming('api', 'loadBalancer'),
        loadBalancerType: 'application',
        internal: false,
        securityGroups: [albGroup.id],
        subnets: network.publicSubnetIds,
        dropInvalidHeaderFields: true,
        enableDeletionProtection: args.retainData,
      },
      { ...parent, ...FIXED_NAME },
    );
    const https = new aws.lb.Listener(
      `${naming('api')}-https`,
      {
        loadBalancerArn: this.loadBalancer.arn,
        port: 443,
        protocol: 'HTTPS',
        sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
        ...(args.certificateArn ? { certificateArn: args.certificateArn } : {}),
        // Whatever reaches the ALB without CloudFront's secret header (another CloudFront distribution shares the prefix list).
        defaultActions: [{ type: 'fixed-response', fixedResponse: { statusCode: '403', contentType: 'text/plain', messageBody: 'Forbidden' } }],
      },
      { parent: this.loadBalancer },
    );
    new aws.lb.ListenerRule(
      `${naming('api')}-from-cloudfront`,
      {
        listenerArn: https.arn,
        priority: 1,
        conditions: [{ httpHeader: { httpHeaderName: ORIGIN_VERIFY_HEADER, values: [args.originSecret] } }],
        actions: [{ type: 'forward', targetGroupArn: this.targetGroup.arn }],
      },
      { parent: https },
    );

    this.autoScalingGroup = new aws.autoscaling.Group(
      naming('api', 'autoScalingGroup'),
      {
        name: autoScalingGroupName,
        minSize: 1,
        desiredCapacity: 1,
        maxSize: args.maxInstances,
        vpcZoneIdentifiers: network.privateSubnetIds,
        // A numbered version (not `$Latest`) so a new image tag starts an instance refresh, which
        // also replaces the stopped warm-pool instance that would otherwise wake on an old image.
        launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply(String) },
        targetGroupArns: [this.targetGroup.arn],
        healthCheckType: 'ELB',
        healthCheckGracePeriod: 180,
        // Stopped instances cost only their EBS volume and start in a minute instead of five.
        ...(args.warmPoolSize > 0
          ? { warmPool: { poolState: 'Stopped', minSize: args.warmPoolSize, maxGroupPreparedCapacity: 1 + args.warmPoolSize, instanceReusePolicy: { reuseOnScaleIn: true } } }
          : {}),
        // Launching (and waking from the warm pool) waits for the boot script's word that the API answers,
        // so a standby never enters service with no container running.
        initialLifecycleHooks: [
          { name: LAUNCH_HOOK_NAME, lifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING', defaultResult: 'ABANDON', heartbeatTimeout: LAUNCH_HOOK_TIMEOUT_SECONDS },
        ],
        instanceRefresh: { strategy: 'Rolling', preferences: { minHealthyPercentage: 100, maxHealthyPercentage: 200 } },
        tags: Object.entries({ ...args.instanceTags, Name: naming('api') }).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
      },
      { ...parent, ...FIXED_NAME },
    );

    this.registerOutputs({ url: this.url, loadBalancerDnsName: this.loadBalancer.dnsName, deployBucket: this.deployBucket.name });
  }
}

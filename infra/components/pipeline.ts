import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { functionArchive, LAMBDA_HANDLER } from '../bundles.ts';
import type { BundleName, FunctionName, FunctionSettings, InfraConfig } from '../config.ts';
import { componentType } from '../component-type.ts';
import { FIXED_NAME, type Namer } from '../naming.ts';
import { assumeRolePolicy, objectsUnder, policyDocument, type Statement } from '../iam.ts';
import type { ComponentLogin } from './database-logins.ts';
import type { ClientTls } from './database-tls.ts';
import type { Notifications } from './notifications.ts';
import { FAMILY_PREVIEW_PREFIX, FULL_SIZE_PREFIX, ORIGINALS_PREFIX, PREVIEW_PREFIX, SET_ZIP_PREFIX, type Storage, UPLOAD_PREFIX, UPLOAD_SUFFIX } from './storage.ts';

/** AWS's advice for SQS-triggered Lambdas: visibility ≥ 6 × function timeout, so retries never overlap. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
/** DLQs keep failures for the maximum SQS allows, so ops have two weeks to look. */
const DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60;
const IMAGE_MAX_RECEIVES = 3;

export interface PipelineNetwork {
  subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  securityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
}

/** How the stack's Lambda functions run (stack config `lambdaRuntime`, `lambdaArchitecture`, `logRetentionDays`). */
export interface LambdaSettings {
  runtime: InfraConfig['lambdaRuntime'];
  architecture: InfraConfig['lambdaArchitecture'];
  /** Days CloudWatch keeps each function's logs. */
  logRetentionDays: number;
}

/** PreviewMaker's pacing (the stack config keys of the same names, `preview*`): see config.ts. */
export interface PreviewSettings {
  delaySeconds: number;
  sampleSize: number;
  maxAttempts: number;
  retryDelaySeconds: number;
  stallSeconds: number;
}

/**
 * The permissions boundary (a managed policy's ARN) every IAM role and user a component creates carries:
 * `pr-<n>` stacks' and dev's (InfraConfig `permissionsBoundaryPolicy`), so the bootstrap's ephemeral and deploy-dev
 * roles, which may create only roles and users bounded by their own boundary, can deploy them. @default no boundary (prod)
 */
export type PermissionsBoundary = pulumi.Input<string> | undefined;

export interface PipelineArgs {
  /** Physical names: `<project>-<stack>-<name>`. */
  naming: Namer;
  lambda: LambdaSettings;
  /** On each function's role (see PermissionsBoundary). @default none */
  permissionsBoundary?: PermissionsBoundary;
  /** Memory and timeout per function (stack config `functions.*`). */
  functions: Record<FunctionName, FunctionSettings>;
  preview: PreviewSettings;
  /** The functions' `LOG_LEVEL` (stack config `logLevel`). */
  logLevel: InfraConfig['logLevel'];
  storage: Storage;
  notifications: Notifications;
  /**
   * The pipeline's database login (`pipeline_login`, infra/components/database-logins.ts): the functions get its
   * URL without the password and read the password from its SSM SecureString at cold start
   * (core/catalog/credentials.ts), never from their environment.
   */
  database: ComponentLogin;
  /**
   * Dev: the functions (outside any VPC) reach the database through the dev host's PgBouncer with the login's
   * client certificate (infra/components/database-tls.ts) instead of its password, which they then never read.
   */
  tls?: ClientTls;
  /** Prod: functions run in the VPC's private subnets to reach RDS. @default outside any VPC */
  network?: PipelineNetwork;
}

/** A work queue with its dead-letter queue and redrive. */
export class WorkQueue extends pulumi.ComponentResource {
  readonly queue: aws.sqs.Queue;
  readonly deadLetters: aws.sqs.Queue;

  constructor(readonly logicalName: string, args: { consumerTimeoutSeconds: number; maxReceiveCount: number }, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType('WorkQueue'), logicalName, {}, opts);
    const name = logicalName;
    this.deadLetters = new aws.sqs.Queue(
      `${name}-dlq`,
      { name: `${name}-dlq`, messageRetentionSeconds: DLQ_RETENTION_SECONDS, sqsManagedSseEnabled: true },
      { parent: this, ...FIXED_NAME },
    );
    this.queue = new aws.sqs.Queue(
      name,
      {
        name,
        visibilityTimeoutSeconds: args.consumerTimeoutSeconds * VISIBILITY_TIMEOUT_FACTOR,
        messageRetentionSeconds: 4 * 24 * 60 * 60,
        sqsManagedSseEnabled: true,
        redrivePolicy: pulumi.jsonStringify({ deadLetterTargetArn: this.deadLetters.arn, maxReceiveCount: args.maxReceiveCount }),
      },
      { parent: this, ...FIXED_NAME },
    );
    this.registerOutputs({ url: this.queue.url, deadLetterUrl: this.deadLetters.url });
  }
}

/** One Lambda function with its own role, log group and least-privilege policy. */
export class PipelineFunction extends pulumi.ComponentResource {
  readonly function: aws.lambda.Function;
  readonly role: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;

  /** The function's timeout: what its alarms and its queue's visibility are measured against. */
  readonly timeoutSeconds: number;

  private consumer: WorkQueue | undefined;

  constructor(
    readonly logicalName: string,
    args: {
      /** Physical names: `<project>-<stack>-<name>`. */
      naming: Namer;
      lambda: LambdaSettings;
      bundle: BundleName;
      settings: FunctionSettings;
      environment: pulumi.Input<Record<string, pulumi.Input<string>>>;
      statements: Statement[];
      network?: PipelineNetwork;
      /** On the function's role (see PermissionsBoundary). @default none */
      permissionsBoundary?: PermissionsBoundary;
    },
    opts: pulumi.ComponentResourceOptions = {},
  ) {
    super(componentType('PipelineFunction'), logicalName, {}, opts);
    const name = logicalName;
    const parent = { parent: this };
    const naming = args.naming;
    this.timeoutSeconds = args.settings.timeoutSeconds;
    this.logGroup = new aws.cloudwatch.LogGroup(
      name,
      { name: `/aws/lambda/${name}`, retentionInDays: args.lambda.logRetentionDays },
      { ...parent, ...FIXED_NAME },
    );
    this.role = new aws.iam.Role(
      naming(`${args.bundle}-role`, 'iamRole'),
      {
        name: naming(`${args.bundle}-role`, 'iamRole'),
        assumeRolePolicy: assumeRolePolicy('lambda.amazonaws.com'),
        ...(args.permissionsBoundary ? { permissionsBoundary: args.permissionsBoundary } : {}),
      },
      { ...parent, ...FIXED_NAME },
    );
    const logging: Statement = {
      Sid: 'WriteOwnLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: [pulumi.interpolate`${this.logGroup.arn}:*`],
    };
    new aws.iam.RolePolicy(`${name}-access`, { role: this.role.id, policy: policyDocument([logging, ...args.statements]) }, parent);
    const vpcAccess = args.network
      ? new aws.iam.RolePolicyAttachment(
          `${name}-vpc-access`,
          // ENI management needs Resource "*" by AWS design; the managed policy grants nothing on data.
          { role: this.role.name, policyArn: aws.iam.ManagedPolicy.AWSLambdaVPCAccessExecutionRole },
          parent,
        )
      : undefined;
    this.function = new aws.lambda.Function(
      name,
      {
        name,
        role: this.role.arn,
        runtime: args.lambda.runtime,
        architectures: [args.lambda.architecture],
        handler: LAMBDA_HANDLER,
        code: functionArchive(args.bundle, args.lambda.architecture),
        memorySize: args.settings.memoryMb,
        timeout: args.settings.timeoutSeconds,
        environment: { variables: args.environment },
        loggingConfig: { logFormat: 'JSON', logGroup: this.logGroup.name },
        ...(args.network ? { vpcConfig: { subnetIds: args.network.subnetIds, securityGroupIds: args.network.securityGroupIds } } : {}),
      },
      { ...parent, dependsOn: vpcAccess ? [vpcAccess] : [], ...FIXED_NAME },
    );
    this.registerOutputs({ arn: this.function.arn });
  }

  /**
   * Consume a work queue with partial batch responses: one bad image does not fail its batch.
   * The receive permission sits here, next to the mapping that needs it. One queue per function:
   * a second consumer would split the stream and hide where messages went.
   */
  consume(queue: WorkQueue, batchSize: number): aws.lambda.EventSourceMapping {
    if (this.consumer) throw new Error(`${this.logicalName} already consumes ${this.consumer.logicalName}; refusing a second queue`);
    this.consumer = queue;
    const policy = new aws.iam.RolePolicy(
      `${this.logicalName}-receive`,
      {
        role: this.role.id,
        policy: policyDocument([
          { Sid: 'ConsumeQueue', Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'], Resource: [queue.queue.arn] },
        ]),
      },
      { parent: this },
    );
    return new aws.lambda.EventSourceMapping(
      `${this.logicalName}-source`,
      {
        eventSourceArn: queue.queue.arn,
        functionName: this.function.name,
        batchSize,
        functionResponseTypes: ['ReportBatchItemFailures'],
        scalingConfig: { maximumConcurrency: 10 },
      },
      { parent: this, dependsOn: [policy] },
    );
  }
}

/** The work queues the API sends to: PreviewMaker's (family-preview rebuilds) and ImageProcessor's (retries). */
export interface PipelineQueueRefs {
  previewUrl: pulumi.Input<string>;
  previewArn: pulumi.Input<string>;
  imageUrl: pulumi.Input<string>;
  imageArn: pulumi.Input<string>;
}

/** The ingestion pipeline: S3 → EventBridge → ImageBatcher → SQS → ImageProcessor / PreviewMaker. */
export class Pipeline extends pulumi.ComponentResource {
  readonly eventsTopic: aws.sns.Topic;
  readonly imageQueue: WorkQueue;
  readonly previewQueue: WorkQueue;
  readonly batcherFailures: aws.sqs.Queue;
  readonly functions: Record<FunctionName, PipelineFunction>;
  readonly uploadRule: aws.cloudwatch.EventRule;
  /** The SecureString the functions read their login's password (`DATABASE_PASSWORD_PARAMETER`) or certificate (`DATABASE_TLS_PARAMETER`) from. */
  readonly databaseCredentials: aws.ssm.Parameter;

  constructor(name: string, args: PipelineArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType('Pipeline'), name, {}, opts);
    const parent = { parent: this };
    const { storage, naming } = args;

    this.eventsTopic = args.notifications.eventsTopic;

    this.imageQueue = new WorkQueue(
      naming('image-processor', 'sqsQueue'),
      { consumerTimeoutSeconds: args.functions['image-processor'].timeoutSeconds, maxReceiveCount: IMAGE_MAX_RECEIVES },
      parent,
    );
    this.previewQueue = new WorkQueue(
      naming('preview-maker', 'sqsQueue'),
      { consumerTimeoutSeconds: args.functions['preview-maker'].timeoutSeconds, maxReceiveCount: args.preview.maxAttempts },
      parent,
    );
    // Upload events ImageBatcher could not handle after Lambda's async retries.
    this.batcherFailures = new aws.sqs.Queue(
      naming('image-batcher-dlq', 'sqsQueue'),
      { name: naming('image-batcher-dlq', 'sqsQueue'), messageRetentionSeconds: DLQ_RETENTION_SECONDS, sqsManagedSseEnabled: true },
      { ...parent, ...FIXED_NAME },
    );

    this.databaseCredentials = args.tls ? args.tls.parameter : args.database.parameter;
    const environment = {
      // The pipeline's own login (not the master user): user, host and database, not a secret.
      DATABASE_URL: args.tls ? args.tls.url : args.database.url,
      ...(args.tls ? { DATABASE_TLS_PARAMETER: args.tls.parameter.name } : { DATABASE_PASSWORD_PARAMETER: args.database.parameter.name }),
      UPLOADS_BUCKET: storage.uploads.name,
      ASSETS_BUCKET: storage.assets.name,
      DOWNLOADS_BUCKET: storage.downloads.name,
      IMAGE_QUEUE_URL: this.imageQueue.queue.url,
      PREVIEW_QUEUE_URL: this.previewQueue.queue.url,
      EVENTS_TOPIC_ARN: this.eventsTopic.arn,
      PREVIEW_DELAY_SECONDS: String(args.preview.delaySeconds),
      PREVIEW_SAMPLE_SIZE: String(args.preview.sampleSize),
      PREVIEW_MAX_ATTEMPTS: String(args.preview.maxAttempts),
      PREVIEW_RETRY_DELAY_SECONDS: String(args.preview.retryDelaySeconds),
      PREVIEW_STALL_SECONDS: String(args.preview.stallSeconds),
      LOG_LEVEL: args.logLevel,
    };
    // The AWS-managed aws/ssm key's policy lets the account's principals decrypt through SSM: no kms grant needed.
    const readDatabaseCredentials: Statement = args.tls
      ? { Sid: 'ReadDatabaseCertificate', Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: [args.tls.parameter.arn] }
      : { Sid: 'ReadDatabasePassword', Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: [args.database.parameter.arn] };
    const publishEvents: Statement = { Sid: 'PublishContributorEvents', Effect: 'Allow', Action: ['sns:Publish'], Resource: [this.eventsTopic.arn] };

    // Grants follow the key layout of core/storage/keys.ts.
    // A consumer sends a message that can never succeed straight to its queue's DLQ, with the reason.
    const make = (bundle: FunctionName, statements: Statement[], deadLetters?: aws.sqs.Queue) =>
      new PipelineFunction(
        naming(bundle, 'lambdaFunction'),
        {
          naming,
          lambda: args.lambda,
          bundle,
          settings: args.functions[bundle],
          environment: deadLetters ? { ...environment, DEAD_LETTER_QUEUE_URL: deadLetters.url } : environment,
          statements: [
            readDatabaseCredentials,
            ...statements,
            ...(deadLetters ? [{ Sid: 'DeadLetterWithReason', Effect: 'Allow' as const, Action: ['sqs:SendMessage'], Resource: [deadLetters.arn] }] : []),
          ],
          ...(args.network ? { network: args.network } : {}),
          ...(args.permissionsBoundary ? { permissionsBoundary: args.permissionsBoundary } : {}),
        },
        parent,
      );
    const assets = storage.assets.arn;
    const downloads = storage.downloads.arn;
    this.functions = {
      'image-batcher': make('image-batcher', [
        { Sid: 'ReadUploads', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [objectsUnder(storage.uploads.arn, UPLOAD_PREFIX)] },
        // The set ZIP is written from the originals it already holds, so the finish need not read them all again.
        { Sid: 'StoreSanitisedOriginalsAndSetZip', Effect: 'Allow', Action: ['s3:PutObject'], Resource: [objectsUnder(downloads, ORIGINALS_PREFIX), objectsUnder(downloads, SET_ZIP_PREFIX)] },
        { Sid: 'EnqueueWork', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [this.imageQueue.queue.arn, this.previewQueue.queue.arn] },
        { Sid: 'RecordFailures', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [this.batcherFailures.arn] },
        publishEvents,
      ]),
      'image-processor': make('image-processor', [
        { Sid: 'ReadOriginals', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [objectsUnder(downloads, ORIGINALS_PREFIX)] },
        { Sid: 'WriteRenditions', Effect: 'Allow', Action: ['s3:PutObject'], Resource: [objectsUnder(assets, PREVIEW_PREFIX)] },
        // Sizes above the preview limit stay private (core/storage/rendition-placement.ts).
        { Sid: 'WriteFullSizeRenditions', Effect: 'Allow', Action: ['s3:PutObject'], Resource: [objectsUnder(downloads, FULL_SIZE_PREFIX)] },
        publishEvents,
      ], this.imageQueue.deadLetters),
      'preview-maker': make('preview-maker', [
        // Set ZIPs: HEAD (which needs s3:GetObject) tells whether ImageBatcher's ZIP is there under the set's title.
        {
          Sid: 'ReadRenditionsOriginalsAndSetZips',
          Effect: 'Allow',
          Action: ['s3:GetObject'],
          Resource: [objectsUnder(assets, PREVIEW_PREFIX), objectsUnder(downloads, ORIGINALS_PREFIX), objectsUnder(downloads, SET_ZIP_PREFIX)],
        },
        { Sid: 'WriteFamilyPreviewsAndSetZips', Effect: 'Allow', Action: ['s3:PutObject'], Resource: [objectsUnder(assets, FAMILY_PREVIEW_PREFIX), objectsUnder(downloads, SET_ZIP_PREFIX)] },
        // A rebuilt family preview replaces the previous card, which may show a set that is now hidden.
        { Sid: 'DeleteOldFamilyPreviews', Effect: 'Allow', Action: ['s3:DeleteObject'], Resource: [objectsUnder(assets, FAMILY_PREVIEW_PREFIX)] },
        { Sid: 'RequeueItself', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [this.previewQueue.queue.arn] },
        publishEvents,
      ], this.previewQueue.deadLetters),
    };
    const batcher = this.functions['image-batcher'];
    this.functions['image-processor'].consume(this.imageQueue, 10);
    this.functions['preview-maker'].consume(this.previewQueue, 5);

    // Failed asynchronous invocations (after two retries) land in the batcher's DLQ with the reason.
    new aws.lambda.FunctionEventInvokeConfig(
      `${batcher.logicalName}-async`,
      {
        functionName: batcher.function.name,
        maximumRetryAttempts: 2,
        maximumEventAgeInSeconds: 6 * 60 * 60,
        destinationConfig: { onFailure: { destination: this.batcherFailures.arn } },
      },
      { parent: batcher },
    );

    this.uploadRule = new aws.cloudwatch.EventRule(
      naming('upload-created', 'eventRule'),
      {
        name: naming('upload-created', 'eventRule'),
        description: 'A contributor ZIP landed under uploads/',
        eventPattern: pulumi.jsonStringify({
          source: ['aws.s3'],
          'detail-type': ['Object Created'],
          detail: {
            bucket: { name: [storage.uploads.name] },
            // One wildcard matches prefix and suffix together (uploads/<contributor>/<upload>.zip).
            object: { key: [{ wildcard: `${UPLOAD_PREFIX}*${UPLOAD_SUFFIX}` }] },
          },
        }),
      },
      { ...parent, ...FIXED_NAME },
    );
    new aws.cloudwatch.EventTarget(
      `${naming('upload-created')}-target`,
      {
        rule: this.uploadRule.name,
        arn: batcher.function.arn,
        retryPolicy: { maximumRetryAttempts: 8, maximumEventAgeInSeconds: 6 * 60 * 60 },
        deadLetterConfig: { arn: this.batcherFailures.arn },
      },
      { parent: this.uploadRule },
    );
    new aws.lambda.Permission(
      `${naming('upload-created')}-invoke`,
      { action: 'lambda:InvokeFunction', function: batcher.function.name, principal: 'events.amazonaws.com', sourceArn: this.uploadRule.arn },
      { parent: this.uploadRule },
    );
    // EventBridge and Lambda destinations deliver failures to this queue.
    new aws.sqs.QueuePolicy(
      `${naming('image-batcher-dlq')}-policy`,
      {
        queueUrl: this.batcherFailures.url,
        policy: policyDocument([
          {
            Sid: 'EventBridgeDeadLetters',
            Effect: 'Allow',
            Action: ['sqs:SendMessage'],
            Resource: [this.batcherFailures.arn],
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': this.uploadRule.arn } },
          },
        ]),
      },
      { parent: this.batcherFailures },
    );

    this.registerOutputs({ imageQueueUrl: this.imageQueue.queue.url, previewQueueUrl: this.previewQueue.queue.url });
  }

  /** What the API needs to queue work for the pipeline. */
  get apiQueues(): PipelineQueueRefs {
    return { previewUrl: this.previewQueue.queue.url, previewArn: this.previewQueue.queue.arn, imageUrl: this.imageQueue.queue.url, imageArn: this.imageQueue.queue.arn };
  }
}

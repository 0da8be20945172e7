import * as pulumi from '@pulumi/pulumi';
import { isIP } from 'node:net';
import { z } from 'zod';
import { IMAGE_TAG_PATTERN, MOVING_TAG } from './host-layout.ts';
import { type BoundaryKind, stackBoundaryPolicyName } from './naming.ts';

/**
 * The stack configuration, read and validated once. Every key a user may change is here with
 * its default; `Pulumi.<stack>.yaml` lists them. Errors name the key as a user types it
 * (`svg-marketplace:functions.imageProcessor.timeoutSeconds`).
 */

export const PROJECT = 'svg-marketplace';
export const FUNCTION_NAMES = ['image-batcher', 'image-processor', 'preview-maker'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];
/** The scheduled payout job (infra/components/payouts.ts), bundled like the pipeline's functions. */
export const PAYOUT_FUNCTION = 'payout-runner' as const;
/** Every Lambda bundle the program deploys (`npm run build:functions` builds each). */
export const BUNDLE_NAMES = [...FUNCTION_NAMES, PAYOUT_FUNCTION] as const;
export type BundleName = (typeof BUNDLE_NAMES)[number];

/** CloudWatch Logs accepts only these retention periods. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;
/** Lambda's hard limits. */
const LAMBDA_MAX_TIMEOUT_SECONDS = 900;
const LAMBDA_MIN_MEMORY_MB = 128;
const LAMBDA_MAX_MEMORY_MB = 10_240;
/** SQS DelaySeconds may not exceed 15 minutes. */
const SQS_MAX_DELAY_SECONDS = 900;

export const EPHEMERAL_STACK = /^pr-\d+$/;

/**
 * Which of the bootstrap's boundaries (infra/bootstrap) bounds a stack's IAM roles and users, as it bounds the role
 * that deploys the stack: `pr-<n>` stacks the ephemeral one, dev the dev one; prod none (its deployer is admin).
 */
export function boundaryKindOf(stack: string): BoundaryKind | undefined {
  if (EPHEMERAL_STACK.test(stack)) return 'ephemeral';
  return stack === 'dev' ? 'dev' : undefined;
}

/**
 * What Lightsail's and RDS's master passwords accept: printable ASCII without `/`, `"`, `@` or
 * spaces, 8–128 characters (RDS PostgreSQL caps at 128). Longer than 16 here: it guards a
 * database reachable from Lambda. `openssl rand -hex 32` always fits; `-base64` does not.
 */
export const DATABASE_PASSWORD_RULES = { minLength: 16, maxLength: 128, forbidden: ['/', '"', '@', ' '] } as const;

/** The reasons a database password is refused, empty when it is fine. */
export function databasePasswordProblems(password: string): string[] {
  const problems: string[] = [];
  const { minLength, maxLength, forbidden } = DATABASE_PASSWORD_RULES;
  if (password.length < minLength || password.length > maxLength) problems.push(`must be ${minLength}–${maxLength} characters long (it has ${password.length})`);
  const found = forbidden.filter((c) => password.includes(c));
  if (found.length > 0) problems.push(`must not contain ${found.map((c) => (c === ' ' ? 'spaces' : JSON.stringify(c))).join(', ')} (Lightsail and RDS refuse them)`);
  if (!/^[\x21-\x7e ]*$/.test(password)) problems.push('must be printable ASCII without tabs or newlines');
  return problems;
}

const cidr = z.string().refine((value) => {
  const [address, mask, ...rest] = value.split('/');
  if (rest.length > 0 || !address) return false;
  const version = isIP(address);
  if (version === 0) return false;
  if (mask === undefined) return true;
  const bits = Number(mask);
  return Number.isInteger(bits) && bits >= 0 && bits <= (version === 4 ? 32 : 128);
}, 'must be an IPv4 or IPv6 address or CIDR block');

const functionSettings = z.strictObject({
  memoryMb: z.number().int().min(LAMBDA_MIN_MEMORY_MB).max(LAMBDA_MAX_MEMORY_MB),
  timeoutSeconds: z.number().int().min(1).max(LAMBDA_MAX_TIMEOUT_SECONDS),
});

const FUNCTION_DEFAULTS = {
  'image-batcher': { memoryMb: 1024, timeoutSeconds: 120 },
  // sharp rasterises at up to 4096² pixels; memory also buys CPU on Lambda.
  'image-processor': { memoryMb: 2048, timeoutSeconds: 60 },
  'preview-maker': { memoryMb: 1536, timeoutSeconds: 120 },
} satisfies Record<FunctionName, z.input<typeof functionSettings>>;

const acmArn = z.string().regex(/^arn:aws:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/, 'must be an ACM certificate ARN');

/** Raw keys as they appear in `Pulumi.<stack>.yaml` (without the project prefix). */
const rawSchema = z.strictObject({
  shape: z.enum(['dev', 'prod']).optional(),
  removal: z.enum(['retain', 'destroy']).optional(),
  lambdaArchitecture: z.enum(['arm64', 'x86_64']).default('arm64'),
  lambdaRuntime: z.enum(['nodejs22.x', 'nodejs24.x']).default('nodejs22.x'),
  functions: z
    .strictObject({
      imageBatcher: functionSettings.default(FUNCTION_DEFAULTS['image-batcher']),
      imageProcessor: functionSettings.default(FUNCTION_DEFAULTS['image-processor']),
      previewMaker: functionSettings.default(FUNCTION_DEFAULTS['preview-maker']),
    })
    .default({
      imageBatcher: FUNCTION_DEFAULTS['image-batcher'],
      imageProcessor: FUNCTION_DEFAULTS['image-processor'],
      previewMaker: FUNCTION_DEFAULTS['preview-maker'],
    }),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
  logRetentionDays: z.number().int().refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
    message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
  }).optional(),
  previewDelaySeconds: z.number().int().min(0).max(SQS_MAX_DELAY_SECONDS).default(120),
  previewSampleSize: z.number().int().min(1).max(100).default(9),
  previewMaxAttempts: z.number().int().min(1).max(1000).default(5),
  /** Wait between PreviewMaker's checks while a set still has images rendering. */
  previewRetryDelaySeconds: z.number().int().min(0).max(SQS_MAX_DELAY_SECONDS).default(60),
  /**
   * PreviewMaker's stall window: a set fails its pending images only when none of its images has been
   * rendered for this long. Longer than an image job's retry (6 × ImageProcessor's timeout), so a retry
   * in flight is not taken for a stall.
   */
  previewStallSeconds: z.number().int().min(60).max(86_400).default(900),
  rawUploadRetentionDays: z.number().int().min(1).default(30),
  /** The platform's share of each sale in percent (the API's PLATFORM_COMMISSION_PERCENT). */
  platformCommissionPercent: z.number().min(0).max(100).default(30),
  /** When the payout job runs (EventBridge Scheduler `cron(...)`/`rate(...)`, UTC). Default: Mondays 09:00. */
  payoutSchedule: z
    .string()
    .regex(/^(cron\([^()]+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\))$/, 'must be an EventBridge Scheduler expression: cron(...) or rate(<n> <unit>)')
    .default('cron(0 9 ? * MON *)'),
  /** Smallest contributor balance the payout job transfers, in cents. */
  payoutThresholdCents: z.number().int().min(1).default(5000),
  /**
   * The commit whose images the hosts boot on (and prod's storefront runs). Not kept in the stack
   * files: the deploy workflow sets it on every deploy; the deployed one is `pulumi stack output imageTag`.
   */
  imageTag: z
    .string({ error: 'required: the commit tag of the images to run (pulumi config set imageTag "$(pulumi stack output imageTag)")' })
    .regex(IMAGE_TAG_PATTERN, 'must be a Docker image tag')
    .refine((tag) => tag !== MOVING_TAG, `must be a commit tag: "${MOVING_TAG}" is moved on the hosts by the rotation and never pushed`),
  opsEmail: z.email().optional(),
  /**
   * The address account mail comes from (sign-up verification, notices), an SES identity the program creates.
   * Unset: the API sends no mail and sign-ups stay unverified (it logs a warning).
   */
  mailFrom: z.email().optional(),
  /**
   * Addresses allowed to reach the dev host's SSH port for people (e.g. an office's `203.0.113.0/24`).
   * Default none: port 22 is closed; the deploy opens it for its runner's own address while it runs.
   */
  adminCidrs: z.array(cidr).default([]),
  /**
   * The keeper of the components' database passwords (infra/components/database-logins.ts): set a new value
   * (e.g. the date) and deploy to give the API, the pipeline, Logstash and the payout job new passwords.
   */
  databaseLoginRotation: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'must be 1–64 letters, digits, ".", "_", ":" or "-"').default('1'),
  // dev shape
  devHostBundle: z.string().default('small_3_0'),
  /**
   * Change it (any new value, e.g. the date) to rotate the dev host's AWS access key: `pulumi up`
   * replaces the key, the deploy's next SSH write puts the new one on the host. The host stays.
   */
  devHostKeyRotation: z.string().min(1).default('1'),
  devDatabase: z.enum(['managed', 'host']).default('managed'),
  devDatabaseBundle: z.string().default('micro_2_0'),
  // prod shape
  vpcCidr: cidr.default('10.20.0.0/20'),
  availabilityZones: z.number().int().min(2).max(3).default(2),
  natInstanceType: z.string().default('t4g.nano'),
  apiInstanceType: z.string().default('t4g.small'),
  apiWarmPoolSize: z.number().int().min(0).max(3).default(1),
  apiMaxInstances: z.number().int().min(1).max(10).default(2),
  /** The API's domain, named by apiCertificateArn; point it (CNAME) at `pulumi stack output apiLoadBalancerDnsName`. */
  apiDomainName: z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a lower-case DNS name').optional(),
  apiCertificateArn: acmArn.optional(),
  webDomainName: z.string().optional(),
  webCertificateArn: acmArn.optional(),
  dbInstanceClass: z.string().default('db.t4g.micro'),
  dbAllocatedStorageGb: z.number().int().min(20).max(1000).default(20),
  dbBackupRetentionDays: z.number().int().min(1).max(35).default(7),
  dbMultiAz: z.boolean().default(false),
  frontendPower: z.enum(['nano', 'micro', 'small', 'medium', 'large', 'xlarge']).default('nano'),
  frontendScale: z.number().int().min(1).max(20).default(1),
  logstashInstanceType: z.string().default('t4g.small'),
  /** The Elasticsearch index Logstash writes and the prod API searches. */
  elasticsearchIndex: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,254}$/, 'must be a lower-case Elasticsearch index name').default('products'),
  wafRateLimitPer5Minutes: z.number().int().min(10).max(2_000_000_000).default(1000),
  wafBlockedIps: z.array(cidr).default([]),
  wafBlockedUserAgents: z.array(z.string().min(1).max(200)).default([]),
});

export type RawConfig = z.output<typeof rawSchema>;
export type FunctionSettings = z.output<typeof functionSettings>;

export interface InfraConfig extends Omit<RawConfig, 'shape' | 'removal' | 'logRetentionDays' | 'functions'> {
  project: string;
  stack: string;
  region: string;
  shape: 'dev' | 'prod';
  /** `pr-<n>` stacks: dev's shape, destroyable with nothing left behind. */
  ephemeral: boolean;
  /**
   * The managed policy every IAM role and user this stack creates carries as its permissions boundary, by name
   * (the program makes its ARN with the account it deploys to). `pr-<n>` stacks: the bootstrap's
   * `<project>-ephemeral-boundary` (infra/bootstrap), which the ephemeral role deploying them is bounded by and
   * which lets it create only roles and users bounded the same way; dev: `<project>-dev-boundary`, the same for
   * the deploy-dev role (boundaryKindOf). prod: none.
   */
  permissionsBoundaryPolicy?: string;
  removal: 'retain' | 'destroy';
  logRetentionDays: number;
  functions: Record<FunctionName, FunctionSettings>;
  secrets: {
    /**
     * A fixed password for the dev database (Lightsail) when an operator wants one; absent, the
     * program generates one per stack (prod's RDS password is managed by AWS in Secrets Manager).
     */
    databasePassword?: pulumi.Output<string>;
    /** Elastic Cloud endpoint with credentials (prod search). */
    elasticsearchUrl?: pulumi.Output<string>;
    /** Elastic API key (`id:key` base64) when the URL carries no credentials; optional. */
    elasticsearchApiKey?: pulumi.Output<string>;
    /** Stripe's secret key (`sk_...`) and webhook signing secret (`whsec_...`): both or neither (then checkout answers 503). */
    stripe?: { secretKey: pulumi.Output<string>; webhookSecret: pulumi.Output<string> };
  };
}

/** Stripe's secrets as stack config (`pulumi config set --secret <key> ...`), with the prefix each must carry. */
const STRIPE_SECRET_PREFIXES = { stripeSecretKey: 'sk_', stripeWebhookSecret: 'whsec_' } as const;
const STRIPE_SECRET_KEYS = Object.keys(STRIPE_SECRET_PREFIXES) as (keyof typeof STRIPE_SECRET_PREFIXES)[];

/** Both Stripe secrets or neither, each with its prefix; read in the clear once, only to check them. */
function stripeSecretProblems(): string[] {
  const values = STRIPE_SECRET_KEYS.map((key) => [key, pulumi.runtime.getConfig(`${PROJECT}:${key}`)] as const);
  const problems = values
    .filter(([key, value]) => value !== undefined && !value.startsWith(STRIPE_SECRET_PREFIXES[key]))
    .map(([key]) => `${PROJECT}:${key}: must start with "${STRIPE_SECRET_PREFIXES[key]}" (from the Stripe dashboard)`);
  const missing = values.filter(([, value]) => value === undefined).map(([key]) => key);
  if (missing.length === 1) problems.push(`${PROJECT}:${missing[0]}: required with ${STRIPE_SECRET_KEYS.find((k) => k !== missing[0])} (pulumi config set --secret ${missing[0]} ...)`);
  return problems;
}

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid stack configuration:\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Whether a key holds text (read as is) rather than JSON (numbers, booleans, objects, lists). */
function expectsText(schema: z.ZodType): boolean {
  let inner: z.ZodType = schema;
  while (inner.def.type === 'default' || inner.def.type === 'optional') {
    inner = (inner.def as unknown as { innerType: z.ZodType }).innerType;
  }
  return inner.def.type === 'string' || inner.def.type === 'enum';
}

/** Pulumi config values are strings; numbers, booleans and objects arrive as JSON. */
function readRaw(config: pulumi.Config, issues: string[]): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(rawSchema.shape)) {
    const text = config.get(key);
    if (text === undefined) continue;
    if (expectsText(schema)) {
      raw[key] = text;
      continue;
    }
    try {
      raw[key] = JSON.parse(text);
    } catch {
      issues.push(`${config.name}:${key}: expected a number, boolean or structured value, got ${JSON.stringify(text)}`);
    }
  }
  return raw;
}

/** Keys present in the stack that this program does not know: a typo must not pass silently. */
function unknownKeys(project: string): string[] {
  const known = new Set([...Object.keys(rawSchema.shape), 'databasePassword', 'elasticsearchUrl', 'elasticsearchApiKey', ...STRIPE_SECRET_KEYS]);
  return Object.keys(pulumi.runtime.allConfig())
    .filter((fullKey) => fullKey.startsWith(`${project}:`))
    .map((fullKey) => fullKey.slice(project.length + 1))
    .filter((key) => !known.has(key));
}

export function loadConfig(): InfraConfig {
  const project = pulumi.getProject();
  const stack = pulumi.getStack();
  const config = new pulumi.Config(PROJECT);
  const issues: string[] = [];
  const raw = readRaw(config, issues);
  for (const key of unknownKeys(PROJECT)) issues.push(`${PROJECT}:${key}: unknown setting`);

  const parsed = rawSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      issues.push(`${PROJECT}:${issue.path.join('.')}: ${issue.message}`);
    }
  }

  const ephemeral = EPHEMERAL_STACK.test(stack);
  const boundary = boundaryKindOf(stack);
  const shape = parsed.data?.shape ?? (stack === 'prod' ? 'prod' : 'dev');
  const removal = parsed.data?.removal ?? (shape === 'prod' ? 'retain' : 'destroy');
  if (ephemeral && shape !== 'dev') issues.push(`${PROJECT}:shape: ephemeral stack "${stack}" must take dev's shape`);
  if (ephemeral && removal !== 'destroy') issues.push(`${PROJECT}:removal: ephemeral stack "${stack}" must be fully destroyable ("destroy")`);
  if (shape === 'prod' && !parsed.data?.apiCertificateArn) issues.push(`${PROJECT}:apiCertificateArn: required for the prod shape (HTTPS on the load balancer)`);
  if (shape === 'prod' && parsed.success && !parsed.data.apiDomainName) issues.push(`${PROJECT}:apiDomainName: required for the prod shape (the name apiCertificateArn is issued for)`);
  if (parsed.data?.webDomainName && !parsed.data.webCertificateArn) issues.push(`${PROJECT}:webCertificateArn: required when webDomainName is set (a us-east-1 ACM certificate)`);
  if (parsed.data?.webCertificateArn && !parsed.data.webCertificateArn.startsWith('arn:aws:acm:us-east-1:')) issues.push(`${PROJECT}:webCertificateArn: CloudFront only accepts certificates from us-east-1`);

  // Read in the clear once, to check it here rather than have Lightsail refuse it mid-deploy.
  const rawPassword = pulumi.runtime.getConfig(`${PROJECT}:databasePassword`);
  for (const problem of rawPassword === undefined ? [] : databasePasswordProblems(rawPassword)) {
    issues.push(`${PROJECT}:databasePassword: ${problem}; generate one with: pulumi config set --secret databasePassword "$(openssl rand -hex 32)"`);
  }
  // RDS keeps prod's master password (manageMasterUserPassword): a configured one would be silently unused.
  if (shape === 'prod' && rawPassword !== undefined) {
    issues.push(`${PROJECT}:databasePassword: not used by the prod shape: RDS keeps its master password in Secrets Manager; remove it (pulumi config rm databasePassword)`);
  }
  const databasePassword = config.getSecret('databasePassword');
  const elasticsearchUrl = config.getSecret('elasticsearchUrl');
  if (shape === 'prod' && elasticsearchUrl === undefined) issues.push(`${PROJECT}:elasticsearchUrl: required secret for the prod shape (pulumi config set --secret elasticsearchUrl https://user:pass@host:443)`);

  const elasticsearchApiKey = config.getSecret('elasticsearchApiKey');
  issues.push(...stripeSecretProblems());
  const stripeSecretKey = config.getSecret('stripeSecretKey');
  const stripeWebhookSecret = config.getSecret('stripeWebhookSecret');

  const region = new pulumi.Config('aws').get('region');
  if (!region) issues.push('aws:region: required (pulumi config set aws:region us-east-1)');

  if (issues.length > 0 || !parsed.success || !region) throw new ConfigError(issues);

  const { functions, logRetentionDays, ...rest } = parsed.data;
  return {
    ...rest,
    project,
    stack,
    region,
    shape,
    ephemeral,
    ...(boundary ? { permissionsBoundaryPolicy: stackBoundaryPolicyName(project, boundary) } : {}),
    removal,
    logRetentionDays: logRetentionDays ?? (shape === 'prod' ? 30 : 7),
    functions: {
      'image-batcher': functions.imageBatcher,
      'image-processor': functions.imageProcessor,
      'preview-maker': functions.previewMaker,
    },
    secrets: {
      ...(databasePassword ? { databasePassword } : {}),
      ...(elasticsearchUrl ? { elasticsearchUrl } : {}),
      ...(elasticsearchApiKey ? { elasticsearchApiKey } : {}),
      ...(stripeSecretKey && stripeWebhookSecret ? { stripe: { secretKey: stripeSecretKey, webhookSecret: stripeWebhookSecret } } : {}),
    },
  };
}

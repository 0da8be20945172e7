/**
 * The marketplace's infrastructure rules as plain functions over resources, so the same code
 * runs in the CrossGuard pack (`pulumi preview --policy-pack infra/policy`) and offline in the
 * tests and `npm run plan`. Values unknown during a preview (`undefined`) never count as a
 * violation; the offline run knows them all.
 */

export interface PolicySubject {
  type: string;
  name: string;
  urn: string;
  /** Inputs and known outputs. */
  props: Record<string, unknown>;
  /** Region of the resource's AWS provider, when known. */
  region?: string | undefined;
}

export interface Violation {
  rule: string;
  urn: string;
  message: string;
}

export interface PolicyRule {
  name: string;
  description: string;
  check(resources: PolicySubject[]): Violation[];
}

/** Lambda's visibility rule of thumb (matches infra/components/pipeline.ts). */
const VISIBILITY_FACTOR = 6;
const SUPPORTED_RUNTIMES = ['nodejs22.x', 'nodejs24.x'];
/** Services whose resources hold data: never granted on `Resource: "*"`. */
const DATA_SERVICES = ['s3', 'sqs', 'sns', 'dynamodb', 'rds-db', 'secretsmanager', 'ssm', 'kms', 'rds'];

const T = {
  bucket: 'aws:s3/bucket:Bucket',
  publicAccessBlock: 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
  encryption: 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
  rds: 'aws:rds/instance:Instance',
  lightsailDatabase: 'aws:lightsail/database:Database',
  queue: 'aws:sqs/queue:Queue',
  mapping: 'aws:lambda/eventSourceMapping:EventSourceMapping',
  fn: 'aws:lambda/function:Function',
  webAcl: 'aws:wafv2/webAcl:WebAcl',
  logGroup: 'aws:cloudwatch/logGroup:LogGroup',
  instance: 'aws:ec2/instance:Instance',
  launchTemplate: 'aws:ec2/launchTemplate:LaunchTemplate',
} as const;

const IAM_POLICY_TYPES = ['aws:iam/rolePolicy:RolePolicy', 'aws:iam/userPolicy:UserPolicy', 'aws:iam/policy:Policy'];

function ofType(resources: PolicySubject[], type: string): PolicySubject[] {
  return resources.filter((r) => r.type === type);
}

function violation(rule: string, resource: PolicySubject, message: string): Violation {
  return { rule, urn: resource.urn, message: `${resource.name}: ${message}` };
}

const perResource = (name: string, description: string, type: string | string[], check: (r: PolicySubject) => string | undefined): PolicyRule => ({
  name,
  description,
  check: (resources) =>
    resources
      .filter((r) => (Array.isArray(type) ? type.includes(r.type) : r.type === type))
      .flatMap((r) => {
        const problem = check(r);
        return problem ? [violation(name, r, problem)] : [];
      }),
});

interface Statement {
  Effect?: string;
  Action?: string | string[];
  Resource?: string | string[];
}

function statementsOf(policy: unknown): Statement[] | undefined {
  if (typeof policy !== 'string') return undefined;
  const doc = JSON.parse(policy) as { Statement?: Statement | Statement[] };
  return Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
}

const list = (value: string | string[] | undefined) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

export const RULES: PolicyRule[] = [
  {
    name: 's3-public-access-blocked',
    description: 'Every bucket has all four public access blocks on.',
    check: (resources) => {
      const blocks = ofType(resources, T.publicAccessBlock);
      return ofType(resources, T.bucket).flatMap((bucket) => {
        const name = bucket.props['bucket'];
        if (name === undefined) return [];
        const block = blocks.find((b) => b.props['bucket'] === name);
        const all = block && ['blockPublicAcls', 'blockPublicPolicy', 'ignorePublicAcls', 'restrictPublicBuckets'].every((k) => block.props[k] === true);
        return all ? [] : [violation('s3-public-access-blocked', bucket, 'has no public access block with all four settings on')];
      });
    },
  },
  {
    name: 's3-encrypted',
    description: 'Every bucket has default server-side encryption.',
    check: (resources) => {
      const configs = ofType(resources, T.encryption);
      return ofType(resources, T.bucket).flatMap((bucket) => {
        const name = bucket.props['bucket'];
        if (name === undefined) return [];
        return configs.some((c) => c.props['bucket'] === name) ? [] : [violation('s3-encrypted', bucket, 'has no default encryption')];
      });
    },
  },
  perResource('rds-private-encrypted-backed-up', 'RDS instances are not public, are encrypted and keep backups.', T.rds, (db) => {
    if (db.props['publiclyAccessible'] === true) return 'is publicly accessible';
    if (db.props['storageEncrypted'] !== true) return 'storage is not encrypted';
    const backups = db.props['backupRetentionPeriod'];
    if (typeof backups === 'number' && backups < 1) return 'has no automated backups';
    return undefined;
  }),
  // Dev's Lambdas (outside any VPC) reach a dev database through the host's PgBouncer (infra/pgbouncer.ts), never directly.
  perResource('lightsail-database-private', 'Lightsail databases are not publicly accessible.', T.lightsailDatabase, (db) =>
    db.props['publiclyAccessible'] === true ? 'is publicly accessible' : undefined,
  ),
  perResource('iam-no-wildcards-on-data', 'IAM statements name their actions, and never grant data services on Resource "*".', IAM_POLICY_TYPES, (policy) => {
    const statements = statementsOf(policy.props['policy']);
    for (const statement of statements ?? []) {
      if (statement.Effect === 'Deny') continue;
      const actions = list(statement.Action);
      const wildcard = actions.find((a) => a === '*' || a.endsWith(':*'));
      if (wildcard) return `grants the wildcard action "${wildcard}"`;
      const onEverything = list(statement.Resource).includes('*');
      const dataAction = actions.find((a) => DATA_SERVICES.includes(a.split(':')[0] ?? ''));
      if (onEverything && dataAction) return `grants "${dataAction}" on Resource "*"`;
    }
    return undefined;
  }),
  {
    name: 'sqs-visibility-covers-consumer',
    description: `A queue's visibility timeout is at least ${VISIBILITY_FACTOR}× the timeout of the function that consumes it.`,
    check: (resources) => {
      const queues = ofType(resources, T.queue);
      const functions = ofType(resources, T.fn);
      return ofType(resources, T.mapping).flatMap((mapping) => {
        const queue = queues.find((q) => q.props['arn'] !== undefined && q.props['arn'] === mapping.props['eventSourceArn']);
        const fn = functions.find((f) => f.props['name'] !== undefined && f.props['name'] === mapping.props['functionName']);
        const visibility = queue?.props['visibilityTimeoutSeconds'];
        const timeout = fn?.props['timeout'];
        if (!queue || !fn || typeof visibility !== 'number' || typeof timeout !== 'number') return [];
        return visibility >= VISIBILITY_FACTOR * timeout
          ? []
          : [violation('sqs-visibility-covers-consumer', queue, `visibility timeout ${visibility}s is less than ${VISIBILITY_FACTOR} × ${timeout}s (${fn.name})`)];
      });
    },
  },
  {
    name: 'sqs-consumed-queues-have-dlq',
    description: 'Every queue a function consumes redrives to a dead-letter queue.',
    check: (resources) => {
      const queues = ofType(resources, T.queue);
      return ofType(resources, T.mapping).flatMap((mapping) => {
        const queue = queues.find((q) => q.props['arn'] !== undefined && q.props['arn'] === mapping.props['eventSourceArn']);
        if (!queue) return [];
        const redrive = queue.props['redrivePolicy'];
        if (typeof redrive !== 'string' || redrive === '') return [violation('sqs-consumed-queues-have-dlq', queue, 'has no dead-letter queue')];
        const target = (JSON.parse(redrive) as { deadLetterTargetArn?: string }).deadLetterTargetArn;
        return target && queues.some((q) => q.props['arn'] === target) ? [] : [violation('sqs-consumed-queues-have-dlq', queue, `redrives to an unknown queue ${String(target)}`)];
      });
    },
  },
  perResource('sqs-consumed-with-partial-batches', 'Queue consumers report partial batch failures.', T.mapping, (mapping) => {
    const types = mapping.props['functionResponseTypes'];
    return Array.isArray(types) && types.includes('ReportBatchItemFailures') ? undefined : 'does not report partial batch failures (ReportBatchItemFailures)';
  }),
  perResource('cloudfront-waf-in-us-east-1', 'Web ACLs for CloudFront are created in us-east-1.', T.webAcl, (acl) =>
    acl.props['scope'] === 'CLOUDFRONT' && acl.region !== undefined && acl.region !== 'us-east-1' ? `CLOUDFRONT web ACL is in ${acl.region}, not us-east-1` : undefined,
  ),
  perResource('log-groups-have-retention', 'Log groups expire their logs.', T.logGroup, (group) => {
    const days = group.props['retentionInDays'];
    return typeof days === 'number' && days > 0 ? undefined : 'keeps logs forever (no retentionInDays)';
  }),
  perResource('lambda-supported-runtime', `Functions run on ${SUPPORTED_RUNTIMES.join(' or ')}.`, T.fn, (fn) => {
    const runtime = fn.props['runtime'];
    return typeof runtime === 'string' && !SUPPORTED_RUNTIMES.includes(runtime) ? `runs on ${runtime}` : undefined;
  }),
  perResource('ec2-imdsv2', 'EC2 instances and launch templates require IMDSv2 tokens.', [T.instance, T.launchTemplate], (host) => {
    const tokens = (host.props['metadataOptions'] as { httpTokens?: unknown } | undefined)?.httpTokens;
    return tokens === 'required' ? undefined : 'does not require IMDSv2 (metadataOptions.httpTokens = "required")';
  }),
];

export function checkPolicies(resources: PolicySubject[], rules: PolicyRule[] = RULES): Violation[] {
  return rules.flatMap((rule) => rule.check(resources));
}

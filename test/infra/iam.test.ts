import { expect } from 'chai';
import { mockState } from '../../scripts/plan/mocks.ts';
import type { OfflineRun } from '../../scripts/plan/offline-run.ts';
import { bucketName, one, stackRun, TYPES } from './fixture.ts';
import { principalPermissions, resourcePolicies, type PrincipalPermissions } from './principals.ts';

/**
 * Every principal each stack creates, with exactly what it may do: removing an action a component needs, or
 * widening one (an action, a resource, a principal), fails here. The ARNs are the mocks' (tests/plan/mocks.ts).
 */
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

function arns(stack: string) {
  const p = `svg-marketplace-${stack}`;
  return {
    log: (fn: string) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/${p}-${fn}:*`,
    queue: (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${p}-${name}`,
    bucket: (name: string, path?: string) => `arn:aws:s3:::${bucketName(stack, name)}${path === undefined ? '' : `/${path}`}`,
    events: `arn:aws:sns:${REGION}:${ACCOUNT}:${p}-events`,
    parameter: (name: string) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/svg-marketplace/${stack}/${name}`,
    fn: (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${p}-${name}`,
    repo: (name: string) => `arn:aws:ecr:${REGION}:${ACCOUNT}:${p}-${name}`,
    rule: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:${p}-upload-created`,
  };
}

/** The secret RDS manages for the master password, as the mocks report it for the stack's instance. */
function masterSecretArn(run: OfflineRun): string {
  const rds = one(run, TYPES.rds, '-db');
  const secrets = mockState(rds.type, rds.name, rds.inputs, run.region)['masterUserSecrets'] as { secretArn: string }[];
  return secrets[0]!.secretArn;
}

/** The deploy's database step (database-logins.ts) on the host it runs on: every login's password, and the master's. */
function databaseStepAllows(stack: string, master: string): string[] {
  const a = arns(stack);
  return [master, ...['api', 'pipeline', 'search', 'payouts'].map((c) => `ssm:GetParameter on ${a.parameter(`database/${c}-password`)}`)];
}

function distributionArn(run: OfflineRun, suffix: string): string {
  const cdn = one(run, TYPES.cloudfront, suffix);
  return String(mockState(cdn.type, cdn.name, cdn.inputs, run.region)['arn']);
}

/** The three pipeline functions' roles: the same on every stack, plus VPC access in prod. */
function pipelineRoles(stack: string, vpc: boolean): Record<string, PrincipalPermissions> {
  const a = arns(stack);
  const managedPolicies = vpc ? ['arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole'] : [];
  const common = (fn: string) => [
    `logs:CreateLogStream on ${a.log(fn)}`,
    `logs:PutLogEvents on ${a.log(fn)}`,
    `sns:Publish on ${a.events}`,
    // The pipeline's own database login (database-logins.ts), never the master user's: prod reads its password
    // (RDS in the VPC); dev-shaped stacks only its client certificate for the host's PgBouncer (database-tls.ts).
    `ssm:GetParameter on ${a.parameter(vpc ? 'database/pipeline-password' : 'database/pipeline-client-tls')}`,
  ];
  const consume = (queue: string) => ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'].map((action) => `${action} on ${a.queue(queue)}`);
  const role = (allows: string[]): PrincipalPermissions => ({ trustedBy: ['lambda.amazonaws.com'], managedPolicies, allows: allows.sort() });
  return {
    [`svg-marketplace-${stack}-image-batcher-role`]: role([
      ...common('image-batcher'),
      `s3:GetObject on ${a.bucket('uploads', 'uploads/*')}`,
      `s3:PutObject on ${a.bucket('downloads', 'originals/*')}`,
      `s3:PutObject on ${a.bucket('downloads', 'sets/*')}`,
      `sqs:SendMessage on ${a.queue('image-batcher-dlq')}`,
      `sqs:SendMessage on ${a.queue('image-processor')}`,
      `sqs:SendMessage on ${a.queue('preview-maker')}`,
    ]),
    [`svg-marketplace-${stack}-image-processor-role`]: role([
      ...common('image-processor'),
      ...consume('image-processor'),
      `s3:GetObject on ${a.bucket('downloads', 'originals/*')}`,
      `s3:PutObject on ${a.bucket('assets', 'previews/*')}`,
      `s3:PutObject on ${a.bucket('downloads', 'full-size/*')}`,
      `sqs:SendMessage on ${a.queue('image-processor-dlq')}`,
    ]),
    [`svg-marketplace-${stack}-preview-maker-role`]: role([
      ...common('preview-maker'),
      ...consume('preview-maker'),
      `s3:DeleteObject on ${a.bucket('assets', 'family-previews/*')}`,
      `s3:GetObject on ${a.bucket('assets', 'previews/*')}`,
      `s3:GetObject on ${a.bucket('downloads', 'originals/*')}`,
      `s3:GetObject on ${a.bucket('downloads', 'sets/*')}`,
      `s3:PutObject on ${a.bucket('assets', 'family-previews/*')}`,
      `s3:PutObject on ${a.bucket('downloads', 'sets/*')}`,
      `sqs:SendMessage on ${a.queue('preview-maker')}`,
      `sqs:SendMessage on ${a.queue('preview-maker-dlq')}`,
    ]),
  };
}

/** What the API does on AWS, from a dev host or a prod instance (app/api). */
function apiAllows(stack: string, distribution: string): string[] {
  const a = arns(stack);
  return [
    `cloudfront:CreateInvalidation on ${distribution}`,
    ...['api', 'web'].flatMap((repo) => ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'].map((action) => `${action} on ${a.repo(repo)}`)),
    'ecr:GetAuthorizationToken on *',
    `s3:DeleteObject on ${a.bucket('assets', 'previews/*')}`,
    `s3:GetObject on ${a.bucket('assets', '*')}`,
    `s3:GetObject on ${a.bucket('assets', 'previews/*')}`,
    `s3:GetObject on ${a.bucket('downloads', '*')}`,
    `s3:ListBucket on ${a.bucket('assets')} if {"StringLike":{"s3:prefix":["previews/*"]}}`,
    `s3:ListBucket on ${a.bucket('uploads')}`,
    `s3:PutObject on ${a.bucket('assets', 'previews/*')}`,
    `s3:PutObject on ${a.bucket('downloads', 'custom/*')}`,
    `s3:PutObject on ${a.bucket('uploads', 'uploads/*')}`,
    `sns:Publish on ${a.events}`,
    `sqs:SendMessage on ${a.queue('image-processor')}`,
    `sqs:SendMessage on ${a.queue('preview-maker')}`,
    // Stripe's secrets, read when the API starts (infra/components/stripe-secrets.ts).
    `ssm:GetParameter on ${a.parameter('stripe/secret-key')}`,
    `ssm:GetParameter on ${a.parameter('stripe/webhook-secret')}`,
  ];
}

/** The scheduled payout job and the Scheduler role that alone may start it. */
function payoutRoles(stack: string, vpc: boolean): Record<string, PrincipalPermissions> {
  const a = arns(stack);
  return {
    [`svg-marketplace-${stack}-payout-runner-role`]: {
      trustedBy: ['lambda.amazonaws.com'],
      managedPolicies: vpc ? ['arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole'] : [],
      allows: [
        `logs:CreateLogStream on ${a.log('payout-runner')}`,
        `logs:PutLogEvents on ${a.log('payout-runner')}`,
        // As the pipeline's: the password in prod, the client certificate (never the password) on dev-shaped stacks.
        `ssm:GetParameter on ${a.parameter(vpc ? 'database/payouts-password' : 'database/payouts-client-tls')}`,
        `ssm:GetParameter on ${a.parameter('stripe/secret-key')}`,
      ],
    },
    [`svg-marketplace-${stack}-payouts-scheduler-role`]: {
      trustedBy: ['scheduler.amazonaws.com'],
      managedPolicies: [],
      allows: [`lambda:InvokeFunction on ${a.fn('payout-runner')}`],
    },
  };
}

function sharedResourcePolicies(stack: string, distribution: string): Record<string, string[]> {
  const a = arns(stack);
  const p = `svg-marketplace-${stack}`;
  return {
    [`${p}-image-batcher-dlq-policy`]: [
      `sqs:SendMessage on ${a.queue('image-batcher-dlq')} for {"Service":"events.amazonaws.com"} if {"ArnEquals":{"aws:SourceArn":"${a.rule}"}}`,
    ],
    [`${p}-assets-cdn-read`]: ['family-previews/*', 'previews/*'].map(
      (path) => `s3:GetObject on ${a.bucket('assets', path)} for {"Service":"cloudfront.amazonaws.com"} if {"StringEquals":{"AWS:SourceArn":"${distribution}"}}`,
    ),
    [`${p}-upload-created-invoke`]: [`lambda:InvokeFunction on ${p}-image-batcher for events.amazonaws.com if source ${a.rule}`],
  };
}

describe('IAM: each principal may do exactly what its component needs', () => {
  for (const stack of ['dev', 'pr-7'] as const) {
    it(`${stack}: the pipeline roles and the host's user, nothing else`, async () => {
      const run = await stackRun(stack);
      const distribution = distributionArn(run, '-assets-cdn');
      expect(principalPermissions(run)).to.deep.equal({
        ...pipelineRoles(stack, false),
        ...payoutRoles(stack, false),
        [`svg-marketplace-${stack}-host-user`]: {
          trustedBy: [],
          managedPolicies: [],
          // Lightsail has no managed secret: the dev master password is an SSM parameter only this step reads.
          allows: [...apiAllows(stack, distribution), ...databaseStepAllows(stack, `ssm:GetParameter on ${arns(stack).parameter('database/master-password')}`)].sort(),
        },
      });
    });

    it(`${stack}: resource policies let only EventBridge (this rule) and CloudFront (this distribution) in`, async () => {
      const run = await stackRun(stack);
      expect(resourcePolicies(run)).to.deep.equal(sharedResourcePolicies(stack, distributionArn(run, '-assets-cdn')));
    });
  }

  it('pr-<n> and dev: every IAM role and user carries exactly its deployer\'s boundary (which that role may create only with it); prod none', async () => {
    const boundaryOf = { 'pr-7': `arn:aws:iam::${ACCOUNT}:policy/svg-marketplace-ephemeral-boundary`, dev: `arn:aws:iam::${ACCOUNT}:policy/svg-marketplace-dev-boundary`, prod: 'none' };
    for (const stack of ['pr-7', 'dev', 'prod'] as const) {
      const run = await stackRun(stack);
      const principals = run.resources.filter((r) => r.type === 'aws:iam/role:Role' || r.type === 'aws:iam/user:User');
      const boundaries = Object.fromEntries(principals.map((p) => [String(p.inputs['name']), p.inputs['permissionsBoundary'] ?? 'none']));
      // The same principals the test above pins, each with the boundary: none left out.
      expect(Object.keys(boundaries).sort(), stack).to.deep.equal(Object.keys(principalPermissions(run)).sort());
      expect(boundaries, stack).to.deep.equal(Object.fromEntries(Object.keys(boundaries).map((name) => [name, boundaryOf[stack]])));
    }
  });

  it('prod: the pipeline roles in the VPC, the API instances and Logstash, nothing else', async () => {
    const run = await stackRun('prod');
    const a = arns('prod');
    const distribution = distributionArn(run, '-cdn');
    const ssmCore = ['arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore'];
    const masterSecret = masterSecretArn(run);
    expect(masterSecret).to.match(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-[0-9a-f]{8}-AbCdEf$/);
    expect(principalPermissions(run)).to.deep.equal({
      ...pipelineRoles('prod', true),
      ...payoutRoles('prod', true),
      'svg-marketplace-prod-api-role': {
        trustedBy: ['ec2.amazonaws.com'],
        managedPolicies: ssmCore,
        allows: [
          ...apiAllows('prod', distribution),
          // Host bundles (rotation, migrations) travel through the deploy bucket.
          `s3:GetObject on ${a.bucket('deploy', 'deploy/*')}`,
          `s3:ListBucket on ${a.bucket('deploy')} if {"StringLike":{"s3:prefix":["deploy/*"]}}`,
          // The warm pool's launching hook, completed by the boot script once the API answers (this group only).
          'autoscaling:CompleteLifecycleAction on arn:aws:autoscaling:us-east-1:*:autoScalingGroup:*:autoScalingGroupName/svg-marketplace-prod-api',
          `ssm:GetParameter on ${a.parameter('api/cursor-secret')}`,
          `ssm:GetParameter on ${a.parameter('api/database-url')}`,
          `ssm:GetParameter on ${a.parameter('api/elasticsearch-url')}`,
          // The deploy's database step runs here: exactly the master secret RDS manages, and every login's password.
          ...databaseStepAllows('prod', `secretsmanager:GetSecretValue on ${masterSecret}`),
        ].sort(),
      },
      'svg-marketplace-prod-logstash-role': {
        trustedBy: ['ec2.amazonaws.com'],
        managedPolicies: ssmCore,
        allows: [`ssm:GetParameter on ${a.parameter('database/search-password')}`, `ssm:GetParameter on ${a.parameter('logstash/elasticsearch-url')}`],
      },
    });
    expect(resourcePolicies(run)).to.deep.equal(sharedResourcePolicies('prod', distribution));
  });
});

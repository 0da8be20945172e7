import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { AWS_RDS_CA } from '../../core/catalog/server-trust.ts';
import { componentType } from '../component-type.ts';
import { FIXED_NAME, type Namer } from '../naming.ts';
import type { Network } from './network.ts';

export const DATABASE_NAME = 'marketplace';
export const DATABASE_USER = 'marketplace';
export const POSTGRES_PORT = 5432;

/**
 * How a client trusts the server. `aws-rds`: a managed database (RDS, Lightsail), verified fully (chain and
 * host name) against the Amazon RDS CA bundle only. `on-host`: the dev host's own PostgreSQL, reached on the
 * host's loopback or Docker network only, so in clear (its self-signed certificate proves nothing there).
 */
export type DatabaseTrust = 'aws-rds' | 'on-host';

/** Where PostgreSQL listens and how it is trusted: what a connection string or a JDBC URL is built from. */
export interface DatabaseEndpoint {
  host: pulumi.Input<string>;
  port: pulumi.Input<number>;
  trust: DatabaseTrust;
}

/** The URL's TLS parameters (core/catalog/db.ts `connectionConfig` reads them). */
export function tlsParameters(trust: DatabaseTrust): string {
  return trust === 'aws-rds' ? `sslmode=verify-full&sslrootcert=${AWS_RDS_CA}` : 'sslmode=disable';
}

/**
 * `postgres://<user>[:<password>]@host:port/marketplace?<tlsParameters>`. Without a password the URL names
 * who logs in and where, and the password comes from a secret or parameter (core/catalog/credentials.ts).
 */
export function postgresUrlFor(user: string, endpoint: DatabaseEndpoint, password?: pulumi.Input<string>): pulumi.Output<string> {
  const credentials = password === undefined ? pulumi.output(user) : pulumi.interpolate`${user}:${pulumi.output(password).apply(encodeURIComponent)}`;
  const url = pulumi.interpolate`postgres://${credentials}@${endpoint.host}:${endpoint.port}/${DATABASE_NAME}?${tlsParameters(endpoint.trust)}`;
  return password === undefined ? url : pulumi.secret(url);
}

/** The master user's URL with its password (dev: Lightsail or the host's PostgreSQL). */
export function postgresUrl(endpoint: DatabaseEndpoint, password: pulumi.Input<string>): pulumi.Output<string> {
  return postgresUrlFor(DATABASE_USER, endpoint, password);
}

/**
 * The dev database's master password (Lightsail has no managed secret): the configured one (checked by
 * config.ts), else one generated for this stack and kept encrypted in its state. Letters and digits only, so it never holds a
 * character Lightsail or RDS refuse or a URL would need escaped; every stack gets its own.
 */
export function databasePassword(name: string, configured: pulumi.Output<string> | undefined, opts: pulumi.CustomResourceOptions = {}): pulumi.Output<string> {
  if (configured) return configured;
  return new random.RandomPassword(name, { length: 40, special: false }, opts).result;
}

export interface ProdDatabaseArgs {
  /** Physical names: `<project>-<stack>-<name>`. */
  naming: Namer;
  /** The stack keeps its data (`removal: retain`): deletion protection, a final snapshot, and a destroy leaves the instance. */
  retainData: boolean;
  network: Network;
  /** @default "db.t4g.micro" */
  instanceClass: string;
  /** @default 20 */
  allocatedStorageGb: number;
  /** @default 7 */
  backupRetentionDays: number;
  /** A standby in a second AZ doubles the instance cost. @default false */
  multiAz: boolean;
}

/**
 * RDS PostgreSQL in private subnets: encrypted, backed up, never public. AWS keeps the master password
 * (`manageMasterUserPassword`): it lives in a Secrets Manager secret RDS creates and rotates, never in this
 * stack's state or outputs; only the deploy's database step reads it (infra/components/database-logins.ts).
 */
export class ProdDatabase extends pulumi.ComponentResource {
  readonly instance: aws.rds.Instance;
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly endpoint: DatabaseEndpoint;
  /** The master user's URL without a password (its password is in `masterSecretArn`). */
  readonly url: pulumi.Output<string>;
  /** The secret RDS manages with the master user's `username` and `password` (JSON). */
  readonly masterSecretArn: pulumi.Output<string>;
  private readonly naming: Namer;

  constructor(name: string, args: ProdDatabaseArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType('ProdDatabase'), name, {}, opts);
    this.naming = args.naming;
    const parent = { parent: this };
    const retained = args.retainData;
    const naming = args.naming;
    const subnets = new aws.rds.SubnetGroup(
      naming('db-subnets', 'dbSubnetGroup'),
      { name: naming('db-subnets', 'dbSubnetGroup'), subnetIds: args.network.privateSubnetIds },
      { ...parent, ...FIXED_NAME },
    );
    this.securityGroup = new aws.ec2.SecurityGroup(
      naming('db', 'securityGroup'),
      { name: naming('db', 'securityGroup'), description: 'PostgreSQL: only from the app security groups', vpcId: args.network.vpcId },
      { ...parent, ...FIXED_NAME },
    );
    const identifier = naming('db', 'rdsIdentifier');
    this.instance = new aws.rds.Instance(
      identifier,
      {
        identifier,
        engine: 'postgres',
        engineVersion: '17',
        instanceClass: args.instanceClass,
        allocatedStorage: args.allocatedStorageGb,
        maxAllocatedStorage: args.allocatedStorageGb * 5,
        storageType: 'gp3',
        storageEncrypted: true,
        dbName: DATABASE_NAME,
        username: DATABASE_USER,
        manageMasterUserPassword: true,
        dbSubnetGroupName: subnets.name,
        vpcSecurityGroupIds: [this.securityGroup.id],
        publiclyAccessible: false,
        multiAz: args.multiAz,
        backupRetentionPeriod: args.backupRetentionDays,
        deletionProtection: retained,
        skipFinalSnapshot: !retained,
        ...(retained ? { finalSnapshotIdentifier: `${identifier}-final` } : {}),
        copyTagsToSnapshot: true,
        autoMinorVersionUpgrade: true,
      },
      { ...parent, retainOnDelete: retained, ...FIXED_NAME },
    );
    this.endpoint = { host: this.instance.address, port: this.instance.port, trust: 'aws-rds' };
    this.url = postgresUrlFor(DATABASE_USER, this.endpoint);
    this.masterSecretArn = this.instance.masterUserSecrets.apply((secrets) => {
      const arn = secrets?.[0]?.secretArn;
      if (!arn) throw new Error(`RDS instance ${identifier} reports no managed master secret (manageMasterUserPassword)`);
      return arn;
    });
    this.registerOutputs({ address: this.instance.address });
  }

  /** Let a client security group reach PostgreSQL; the rule sits next to the database. */
  allowFrom(clientName: string, clientGroup: aws.ec2.SecurityGroup): void {
    new aws.vpc.SecurityGroupIngressRule(
      `${this.naming('db')}-from-${clientName}`,
      {
        securityGroupId: this.securityGroup.id,
        referencedSecurityGroupId: clientGroup.id,
        ipProtocol: 'tcp',
        fromPort: POSTGRES_PORT,
        toPort: POSTGRES_PORT,
        description: `PostgreSQL from ${clientName}`,
      },
      { parent: this },
    );
  }
}

export interface DevDatabaseArgs {
  /** Physical names: `<project>-<stack>-<name>`. */
  naming: Namer;
  /** The stack's region: the database lives in its first availability zone. */
  region: string;
  /** The stack keeps its data (`removal: retain`): backups, a final snapshot, and a destroy leaves the database. */
  retainData: boolean;
  /** Master password (secret). */
  password: pulumi.Output<string>;
  /** Lightsail database bundle. @default "micro_2_0" ($15/month) */
  bundleId: string;
}

/**
 * Lightsail managed PostgreSQL for dev and ephemeral stacks, not publicly accessible: only Lightsail
 * resources in the region reach it (the dev host: its API, the deploy's migrations, and PgBouncer, through
 * which the Lambdas, outside any VPC, reach it with a client certificate; infra/pgbouncer.ts).
 */
export class DevDatabase extends pulumi.ComponentResource {
  readonly database: aws.lightsail.Database;
  readonly endpoint: DatabaseEndpoint;
  /** The master user's URL with its password (secret). */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: DevDatabaseArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType('DevDatabase'), name, {}, opts);
    const retained = args.retainData;
    const dbName = args.naming('db', 'lightsail');
    this.database = new aws.lightsail.Database(
      dbName,
      {
        relationalDatabaseName: dbName,
        availabilityZone: `${args.region}a`,
        blueprintId: 'postgres_16',
        bundleId: args.bundleId,
        masterDatabaseName: DATABASE_NAME,
        masterUsername: DATABASE_USER,
        masterPassword: args.password,
        publiclyAccessible: false,
        backupRetentionEnabled: retained,
        skipFinalSnapshot: !retained,
        ...(retained ? { finalSnapshotName: `${dbName}-final` } : {}),
        applyImmediately: true,
      },
      { parent: this, retainOnDelete: retained, ...FIXED_NAME },
    );
    // Lightsail's managed PostgreSQL presents a certificate from the Amazon RDS CAs, as RDS does.
    this.endpoint = { host: this.database.masterEndpointAddress, port: this.database.masterEndpointPort, trust: 'aws-rds' };
    this.url = postgresUrl(this.endpoint, args.password);
    this.registerOutputs({ address: this.database.masterEndpointAddress });
  }
}

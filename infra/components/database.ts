import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { componentType } from '../component-type.ts';
import { FIXED_NAME, type Namer } from '../naming.ts';
import type { Network } from './network.ts';

export const DATABASE_NAME = 'marketplace';
export const DATABASE_USER = 'marketplace';
export const POSTGRES_PORT = 5432;

export function postgresUrl(host: pulumi.Input<string>, password: pulumi.Input<string>, port: pulumi.Input<number> = POSTGRES_PORT): pulumi.Output<string> {
  return pulumi.secret(
    pulumi.interpolate`postgres://${DATABASE_USER}:${pulumi.output(password).apply(encodeURIComponent)}@${host}:${port}/${DATABASE_NAME}?sslmode=require`,
  );
}

/**
 * The database's master password: the configured one (checked by config.ts), else one generated
 * for this stack and kept encrypted in its state. Letters and digits only, so it never holds a
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
  /** Master password (secret). */
  password: pulumi.Output<string>;
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

/** RDS PostgreSQL in private subnets: encrypted, backed up, never public. */
export class ProdDatabase extends pulumi.ComponentResource {
  readonly instance: aws.rds.Instance;
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly url: pulumi.Output<string>;
  /** The master password, for the components that log in as the master user (secret). */
  readonly password: pulumi.Output<string>;
  private readonly naming: Namer;

  constructor(name: string, args: ProdDatabaseArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType('ProdDatabase'), name, {}, opts);
    this.naming = args.naming;
    this.password = args.password;
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
        password: args.password,
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
    this.url = postgresUrl(this.instance.address, args.password, this.instance.port);
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
 * Lightsail managed PostgreSQL for dev and ephemeral stacks. Lightsail databases live outside
 * the account's VPCs, so Lambda reaches it over the internet: TLS required, strong password.
 */
export class DevDatabase extends pulumi.ComponentResource {
  readonly database: aws.lightsail.Database;
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
        publiclyAccessible: true,
        backupRetentionEnabled: retained,
        skipFinalSnapshot: !retained,
        ...(retained ? { finalSnapshotName: `${dbName}-final` } : {}),
        applyImmediately: true,
      },
      { parent: this, retainOnDelete: retained, ...FIXED_NAME },
    );
    this.url = postgresUrl(this.database.masterEndpointAddress, args.password, this.database.masterEndpointPort);
    this.registerOutputs({ address: this.database.masterEndpointAddress });
  }
}

import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { componentType, type StackContext } from '../context.ts';
import type { Network } from './network.ts';

export const DATABASE_NAME = 'marketplace';
export const DATABASE_USER = 'marketplace';
export const POSTGRES_PORT = 5432;

export function postgresUrl(host: pulumi.Input<string>, password: pulumi.Input<string>, port: pulumi.Input<number> = POSTGRES_PORT): pulumi.Output<string> {
  return pulumi.secret(
    pulumi.interpolate`postgres://${DATABASE_USER}:${pulumi.output(password).apply(encodeURIComponent)}@${host}:${port}/${DATABASE_NAME}?sslmode=require`,
  );
}

export interface ProdDatabaseArgs {
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
  private readonly ctx: StackContext;

  constructor(name: string, ctx: StackContext, args: ProdDatabaseArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType('ProdDatabase'), name, {}, opts);
    this.ctx = ctx;
    const parent = { parent: this };
    const retained = ctx.config.removal === 'retain';
    const subnets = new aws.rds.SubnetGroup(
      ctx.name('db-subnets', 'dbSubnetGroup'),
      { name: ctx.name('db-subnets', 'dbSubnetGroup'), subnetIds: args.network.privateSubnetIds, tags: ctx.tags },
      parent,
    );
    this.securityGroup = new aws.ec2.SecurityGroup(
      ctx.name('db', 'securityGroup'),
      { name: ctx.name('db', 'securityGroup'), description: 'PostgreSQL: only from the app security groups', vpcId: args.network.vpcId, tags: ctx.tags },
      parent,
    );
    const identifier = ctx.name('db', 'rdsIdentifier');
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
        password: ctx.config.secrets.databasePassword,
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
        tags: ctx.tags,
      },
      { ...parent, ...ctx.dataOptions },
    );
    this.url = postgresUrl(this.instance.address, ctx.config.secrets.databasePassword, this.instance.port);
    this.registerOutputs({ address: this.instance.address });
  }

  /** Let a client security group reach PostgreSQL; the rule sits next to the database. */
  allowFrom(clientName: string, clientGroup: aws.ec2.SecurityGroup): void {
    new aws.vpc.SecurityGroupIngressRule(
      `${this.ctx.name('db')}-from-${clientName}`,
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

  constructor(name: string, ctx: StackContext, args: DevDatabaseArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType('DevDatabase'), name, {}, opts);
    const retained = ctx.config.removal === 'retain';
    const dbName = ctx.name('db', 'lightsail');
    this.database = new aws.lightsail.Database(
      dbName,
      {
        relationalDatabaseName: dbName,
        availabilityZone: `${ctx.config.region}a`,
        blueprintId: 'postgres_16',
        bundleId: args.bundleId,
        masterDatabaseName: DATABASE_NAME,
        masterUsername: DATABASE_USER,
        masterPassword: ctx.config.secrets.databasePassword,
        publiclyAccessible: true,
        backupRetentionEnabled: retained,
        skipFinalSnapshot: !retained,
        ...(retained ? { finalSnapshotName: `${dbName}-final` } : {}),
        applyImmediately: true,
        tags: ctx.tags,
      },
      { parent: this, ...ctx.dataOptions },
    );
    this.url = postgresUrl(this.database.masterEndpointAddress, ctx.config.secrets.databasePassword, this.database.masterEndpointPort);
    this.registerOutputs({ address: this.database.masterEndpointAddress });
  }
}

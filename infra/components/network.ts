import * as aws from '@pulumi/aws';
import * as awsx from '@pulumi/awsx';
import * as pulumi from '@pulumi/pulumi';
import { componentType } from '../component-type.ts';
import { FIXED_NAME, type Namer } from '../naming.ts';

/** fck-nat publishes its AMIs from this account (https://fck-nat.dev). */
const FCK_NAT_OWNER = '568608671756';

export interface NetworkArgs {
  /** Physical names: `<project>-<stack>-<name>`. */
  naming: Namer;
  /** The stack's region (the S3 gateway endpoint's service name carries it). */
  region: string;
  /** @default "10.20.0.0/20" */
  cidrBlock: string;
  /** Two is the minimum RDS and the ALB accept. @default 2 */
  availabilityZones: number;
  /** Graviton type: the fck-nat AMI chosen here is arm64. @default "t4g.nano" */
  natInstanceType: string;
}

/**
 * The prod VPC: public subnets (ALB, NAT) and private subnets (API, RDS, Lambda, Logstash).
 *
 * Egress from the private subnets, monthly, us-east-1, at idle:
 *   - NAT gateway: $0.045/h ≈ $32.85 + $0.045/GB processed (per AZ for redundancy: ×2)
 *   - SQS + SNS interface endpoints: $0.01/h × 2 services × 2 AZs ≈ $29.20, and ECR or Elastic
 *     Cloud would still need a path out
 *   - fck-nat on a t4g.nano: $0.0042/h ≈ $3.07 + 8 GB gp3 $0.64 + public IPv4 $3.65 ≈ $7.36
 * Chosen: one fck-nat instance for all private subnets, plus the S3 gateway endpoint (free) so
 * bulk image traffic never crosses the NAT. The cost is one AZ of egress: if that AZ fails, the
 * functions lose SQS/SNS until the instance is replaced (the ASG-less instance recovers by
 * EC2 auto-recovery), which a marketplace's ingestion can wait out.
 */
export class Network extends pulumi.ComponentResource {
  readonly vpc: awsx.ec2.Vpc;
  readonly vpcId: pulumi.Output<string>;
  readonly publicSubnetIds: pulumi.Output<string[]>;
  readonly privateSubnetIds: pulumi.Output<string[]>;
  readonly natInstance: aws.ec2.Instance;
  readonly cidrBlock: string;

  constructor(name: string, args: NetworkArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType('Network'), name, {}, opts);
    const parent = { parent: this };
    const naming = args.naming;
    this.cidrBlock = args.cidrBlock;
    // "Isolated" rather than "Private": awsx only routes Private subnets through its own NAT
    // gateways; the routes to the NAT instance are added below.
    this.vpc = new awsx.ec2.Vpc(
      naming('vpc'),
      {
        cidrBlock: args.cidrBlock,
        numberOfAvailabilityZones: args.availabilityZones,
        natGateways: { strategy: awsx.ec2.NatGatewayStrategy.None },
        subnetStrategy: awsx.ec2.SubnetAllocationStrategy.Auto,
        subnetSpecs: [
          { type: awsx.ec2.SubnetType.Public, name: 'public', cidrMask: 24 },
          { type: awsx.ec2.SubnetType.Isolated, name: 'private', cidrMask: 23 },
        ],
        enableDnsHostnames: true,
        tags: { Name: naming('vpc') },
      },
      // A remote component gets only the providers named on it, not those it would inherit from its parent.
      { ...parent, providers: inheritedProviders(this, 'aws') },
    );
    this.vpcId = this.vpc.vpcId;
    this.publicSubnetIds = this.vpc.publicSubnetIds;
    this.privateSubnetIds = this.vpc.isolatedSubnetIds;

    const natSecurityGroup = new aws.ec2.SecurityGroup(
      naming('nat', 'securityGroup'),
      {
        name: naming('nat', 'securityGroup'),
        description: 'NAT instance: forwards traffic from the private subnets',
        vpcId: this.vpcId,
        ingress: [{ protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: [args.cidrBlock], description: 'from the VPC' }],
        egress: [{ protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: ['0.0.0.0/0'], description: 'to the internet' }],
      },
      { ...parent, ...FIXED_NAME },
    );
    const natAmi = aws.ec2.getAmiOutput(
      { owners: [FCK_NAT_OWNER], mostRecent: true, filters: [{ name: 'name', values: ['fck-nat-al2023-*-arm64-ebs'] }] },
      parent,
    );
    this.natInstance = new aws.ec2.Instance(
      naming('nat'),
      {
        ami: natAmi.id,
        instanceType: args.natInstanceType,
        subnetId: this.publicSubnetIds.apply((ids) => first(ids, 'public subnet')),
        vpcSecurityGroupIds: [natSecurityGroup.id],
        associatePublicIpAddress: true,
        sourceDestCheck: false,
        rootBlockDevice: { volumeType: 'gp3', volumeSize: 8, encrypted: true },
        metadataOptions: { httpTokens: 'required' },
        tags: { Name: naming('nat') },
      },
      { ...parent, ignoreChanges: ['ami'] },
    );

    const routeTableIds: pulumi.Output<string>[] = [];
    for (let az = 0; az < args.availabilityZones; az++) {
      const subnetId = this.privateSubnetIds.apply((ids) => at(ids, az, 'private subnet'));
      const routeTable = aws.ec2.getRouteTableOutput({ subnetId }, parent);
      routeTableIds.push(routeTable.routeTableId);
      new aws.ec2.Route(
        `${naming('private-egress')}-${az}`,
        { routeTableId: routeTable.routeTableId, destinationCidrBlock: '0.0.0.0/0', networkInterfaceId: this.natInstance.primaryNetworkInterfaceId },
        parent,
      );
    }
    new aws.ec2.VpcEndpoint(
      naming('s3-endpoint'),
      {
        vpcId: this.vpcId,
        serviceName: `com.amazonaws.${args.region}.s3`,
        vpcEndpointType: 'Gateway',
        routeTableIds,
      },
      parent,
    );
    this.registerOutputs({ vpcId: this.vpcId });
  }
}

/** The providers this component inherited from its parent chain, as `providers` for a remote component. */
function inheritedProviders(component: pulumi.ComponentResource, ...packages: string[]): Record<string, pulumi.ProviderResource> {
  const providers: Record<string, pulumi.ProviderResource> = {};
  for (const pkg of packages) {
    const provider = component.getProvider(`${pkg}::`);
    if (provider) providers[pkg] = provider;
  }
  return providers;
}

function at(ids: string[], index: number, what: string): string {
  const id = ids[index];
  if (id === undefined) throw new Error(`VPC has no ${what} at index ${index}`);
  return id;
}

function first(ids: string[], what: string): string {
  return at(ids, 0, what);
}

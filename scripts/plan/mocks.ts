import type * as pulumi from '@pulumi/pulumi';
import { createHash } from 'node:crypto';

/** A fixed account id keeps ARNs stable across runs, so snapshots diff cleanly. */
export const MOCK_ACCOUNT = '123456789012';

type State = Record<string, unknown>;

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

function arnFor(type: string, name: string, region: string): string {
  const service = type.split(':')[1]?.split('/')[0] ?? 'unknown';
  return `arn:aws:${service}:${region}:${MOCK_ACCOUNT}:${name}`;
}

function subnetIds(kind: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `subnet-${kind}-${i}`);
}

/** A random string's mock result: lower-case hex (letters and digits, the only kind the program asks for), fixed per resource name. */
export function mockRandomString(name: string, length: number): string {
  return createHash('sha256').update(`random:${name}`).digest('hex').slice(0, length);
}

function mockPem(kind: string, name: string): string {
  return `-----BEGIN ${kind}-----\nMOCK${shortHash(`${kind}:${name}`)}\n-----END ${kind}-----\n`;
}

/**
 * What the AWS provider would compute for each resource kind this program reads back. Values
 * are deterministic so two runs of the same program produce the same plan.
 */
export function mockState(type: string, name: string, inputs: State, region: string): State {
  const base: State = { ...inputs, arn: arnFor(type, name, region) };
  switch (type) {
    case 'awsx:ec2:Vpc': {
      const count = typeof inputs['numberOfAvailabilityZones'] === 'number' ? inputs['numberOfAvailabilityZones'] : 2;
      return { ...inputs, vpcId: `vpc-${shortHash(name)}`, publicSubnetIds: subnetIds('public', count), isolatedSubnetIds: subnetIds('isolated', count), privateSubnetIds: [] };
    }
    case 'aws:s3/bucket:Bucket': {
      const bucket = String(inputs['bucket'] ?? name);
      return { ...inputs, bucket, arn: `arn:aws:s3:::${bucket}`, bucketRegionalDomainName: `${bucket}.s3.${region}.amazonaws.com` };
    }
    case 'aws:sqs/queue:Queue': {
      const queue = String(inputs['name'] ?? name);
      return { ...inputs, name: queue, arn: `arn:aws:sqs:${region}:${MOCK_ACCOUNT}:${queue}`, url: `https://sqs.${region}.amazonaws.com/${MOCK_ACCOUNT}/${queue}` };
    }
    case 'aws:sns/topic:Topic':
      return { ...inputs, arn: `arn:aws:sns:${region}:${MOCK_ACCOUNT}:${String(inputs['name'] ?? name)}` };
    case 'aws:ssm/parameter:Parameter': {
      // A path name (`/a/b`) follows `parameter` directly; a plain name gets a slash.
      const parameter = String(inputs['name'] ?? name);
      return { ...base, name: parameter, arn: `arn:aws:ssm:${region}:${MOCK_ACCOUNT}:parameter${parameter.startsWith('/') ? '' : '/'}${parameter}` };
    }
    case 'aws:lambda/function:Function':
      return { ...base, arn: `arn:aws:lambda:${region}:${MOCK_ACCOUNT}:function:${String(inputs['name'] ?? name)}` };
    case 'aws:cloudwatch/logGroup:LogGroup':
      return { ...base, arn: `arn:aws:logs:${region}:${MOCK_ACCOUNT}:log-group:${String(inputs['name'] ?? name)}` };
    case 'docker-build:index:Image': {
      // What a push reports: the manifest digest, and the first tag pinned to it.
      const digest = `sha256:${createHash('sha256').update(`${name}:${JSON.stringify(inputs['tags'] ?? [])}`).digest('hex')}`;
      const tags = Array.isArray(inputs['tags']) ? (inputs['tags'] as string[]) : [];
      return { ...inputs, digest, ref: tags[0] ? `${tags[0]}@${digest}` : '', contextHash: shortHash(name) };
    }
    case 'aws:ecr/repository:Repository':
      return { ...base, registryId: MOCK_ACCOUNT, repositoryUrl: `${MOCK_ACCOUNT}.dkr.ecr.${region}.amazonaws.com/${String(inputs['name'] ?? name)}` };
    case 'aws:lb/loadBalancer:LoadBalancer':
      return { ...base, dnsName: `${name}-${shortHash(name)}.${region}.elb.amazonaws.com`, arnSuffix: `app/${name}/${shortHash(name)}` };
    case 'aws:lb/targetGroup:TargetGroup':
      return { ...base, arnSuffix: `targetgroup/${name}/${shortHash(name)}` };
    case 'aws:rds/instance:Instance':
      return {
        ...base,
        address: `${name}.${shortHash(name)}.${region}.rds.amazonaws.com`,
        port: 5432,
        // With manageMasterUserPassword, RDS creates the master secret (named `rds!db-<id>`) and reports it here.
        ...(inputs['manageMasterUserPassword'] === true
          ? { masterUserSecrets: [{ secretArn: `arn:aws:secretsmanager:${region}:${MOCK_ACCOUNT}:secret:rds!db-${shortHash(name)}-AbCdEf`, secretStatus: 'active', kmsKeyId: `arn:aws:kms:${region}:${MOCK_ACCOUNT}:alias/aws/secretsmanager` }] }
          : {}),
      };
    case 'aws:lightsail/database:Database':
      return { ...base, masterEndpointAddress: `ls-${shortHash(name)}.${region}.rds.amazonaws.com`, masterEndpointPort: 5432 };
    case 'aws:lightsail/staticIp:StaticIp':
      return { ...base, ipAddress: `203.0.113.${parseInt(shortHash(name).slice(0, 2), 16) % 250}` };
    case 'aws:lightsail/containerService:ContainerService':
      return {
        ...base,
        url: `https://${name}.${shortHash(name)}.${region}.cs.amazonlightsail.com/`,
        privateRegistryAccess: { ecrImagePullerRole: { isActive: true, principalArn: `arn:aws:iam::${MOCK_ACCOUNT}:role/amazon/lightsail/${name}` } },
      };
    case 'aws:cloudfront/distribution:Distribution':
      return { ...base, domainName: `d${shortHash(name)}.cloudfront.net`, arn: `arn:aws:cloudfront::${MOCK_ACCOUNT}:distribution/E${shortHash(name).toUpperCase()}` };
    case 'aws:ec2/instance:Instance':
      return { ...base, primaryNetworkInterfaceId: `eni-${shortHash(name)}` };
    case 'aws:lightsail/keyPair:KeyPair':
      return { ...base, publicKey: `ssh-rsa MOCK${shortHash(name)}`, privateKey: `-----BEGIN RSA PRIVATE KEY-----\nmock-${shortHash(name)}\n-----END RSA PRIVATE KEY-----` };
    case 'aws:ec2/launchTemplate:LaunchTemplate':
      return { ...base, latestVersion: 1 };
    case 'random:index/randomString:RandomString':
      return { ...inputs, result: mockRandomString(name, Number(inputs['length'] ?? 16)) };
    case 'random:index/randomPassword:RandomPassword':
      return { ...inputs, result: `mockpassword${shortHash(name)}`.padEnd(Number(inputs['length'] ?? 16), '0') };
    case 'aws:iam/accessKey:AccessKey':
      return { ...base, secret: 'mock-secret-access-key' };
    // @pulumi/tls makes its keys and certificates locally: PEM-shaped stand-ins, fixed per resource name.
    case 'tls:index/privateKey:PrivateKey':
      return { ...inputs, privateKeyPem: mockPem('EC PRIVATE KEY', name), publicKeyPem: mockPem('PUBLIC KEY', name) };
    case 'tls:index/selfSignedCert:SelfSignedCert':
    case 'tls:index/locallySignedCert:LocallySignedCert':
      return { ...inputs, certPem: mockPem('CERTIFICATE', name) };
    case 'tls:index/certRequest:CertRequest':
      return { ...inputs, certRequestPem: mockPem('CERTIFICATE REQUEST', name) };
    default:
      return base;
  }
}

export function mockCall(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
  const inputs = args.inputs as Record<string, unknown>;
  switch (args.token) {
    case 'aws:ec2/getAmi:getAmi':
      return { ...inputs, id: 'ami-0f0c0ffee0nat0000', architecture: 'arm64' };
    case 'aws:ec2/getRouteTable:getRouteTable': {
      const id = `rtb-${String(inputs['subnetId'] ?? 'main')}`;
      return { ...inputs, id, routeTableId: id };
    }
    case 'aws:ec2/getManagedPrefixList:getManagedPrefixList':
      // us-east-1's id of com.amazonaws.global.cloudfront.origin-facing.
      return { ...inputs, id: 'pl-3b927c52', addressFamily: 'IPv4', maxEntries: 55 };
    case 'aws:ecr/getAuthorizationToken:getAuthorizationToken':
      return { ...inputs, id: MOCK_ACCOUNT, userName: 'AWS', password: 'mock-ecr-token', authorizationToken: 'QVdTOm1vY2stZWNyLXRva2Vu', proxyEndpoint: `https://${MOCK_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`, expiresAt: '2099-01-01T00:00:00Z' };
    case 'aws:index/getCallerIdentity:getCallerIdentity':
      return { ...inputs, id: MOCK_ACCOUNT, accountId: MOCK_ACCOUNT, arn: `arn:aws:sts::${MOCK_ACCOUNT}:assumed-role/svg-marketplace-github-ephemeral/GitHubActions`, userId: 'AROAMOCK:GitHubActions' };
    case 'aws:ssm/getParameter:getParameter':
      return { ...inputs, value: 'ami-0a1b2c3d4e5f60718', type: 'String' };
    default:
      return inputs;
  }
}

import { expect } from 'chai';
import { CUSTOM_RENDER_RETENTION_DAYS } from '../../core/limits.ts';
import { PipelineEnvironment } from '../../core/pipeline/environment.ts';
import { FUNCTION_NAMES, PAYOUT_FUNCTION } from '../../infra/config.ts';
import { NAME_LIMITS } from '../../infra/naming.ts';
import { mockState } from '../../scripts/plan/mocks.ts';
import type { OfflineRun, PlannedResource } from '../../scripts/plan/offline-run.ts';
import { bucketName, customRun, ofType, one, stackRun, TYPES } from './fixture.ts';

const STACKS = ['dev', 'prod', 'pr-7'] as const;

/** The functions' environment contract, read from the code that validates it at cold start. */
const FUNCTION_ENV_KNOWN = Object.keys(PipelineEnvironment.shape);
const FUNCTION_ENV_REQUIRED = Object.entries(PipelineEnvironment.shape)
  .filter(([, schema]) => !schema.safeParse(undefined).success)
  .map(([name]) => name);

function types(run: OfflineRun): Set<string> {
  return new Set(run.resources.map((r) => r.type));
}

function statements(policy: PlannedResource): { Action: string[]; Resource: string[] }[] {
  return (JSON.parse(String(policy.inputs['policy'])) as { Statement: { Action: string[]; Resource: string[] }[] }).Statement;
}

describe('infra stacks (offline, under mocks)', () => {
  describe('which resources each stack has', () => {
    it('dev runs on Lightsail with CloudFront for previews: no EC2, RDS, ALB, VPC or WAF', async () => {
      const dev = types(await stackRun('dev'));
      for (const present of [TYPES.lightsailInstance, TYPES.lightsailDatabase, TYPES.fn, TYPES.queue, TYPES.bucket, TYPES.rule, TYPES.ecr, TYPES.cloudfront]) expect(dev, present).to.include(present);
      for (const absent of [TYPES.ec2, TYPES.rds, TYPES.alb, TYPES.vpc, TYPES.webAcl, TYPES.asg, TYPES.alarm, TYPES.dashboard]) expect(dev, absent).to.not.include(absent);
    });

    it('prod has all of them', async () => {
      const prod = types(await stackRun('prod'));
      for (const present of [TYPES.ec2, TYPES.rds, TYPES.alb, TYPES.asg, TYPES.cloudfront, TYPES.vpc, TYPES.webAcl, TYPES.alarm, TYPES.dashboard, TYPES.lightsailContainers, TYPES.fn, TYPES.ecr]) {
        expect(prod, present).to.include(present);
      }
      expect(prod).to.not.include(TYPES.lightsailInstance);
      expect(prod).to.not.include(TYPES.lightsailDatabase);
    });

    it('pr-<n> takes dev shape with the same resource kinds and counts', async () => {
      const [dev, pr] = await Promise.all([stackRun('dev'), stackRun('pr-7')]);
      const count = (run: OfflineRun) => run.resources.map((r) => r.type).sort();
      expect(count(pr)).to.deep.equal(count(dev));
    });
  });

  describe('storage', () => {
    for (const stack of STACKS) {
      it(`${stack}: every bucket is encrypted and blocks all public access`, async () => {
        const run = await stackRun(stack);
        const buckets = ofType(run, TYPES.bucket);
        // Prod also has the deploy bucket the host bundles travel through (SSM cannot copy files).
        const deploy = stack === 'prod' ? [bucketName(stack, 'deploy')] : [];
        expect(buckets.map((b) => b.inputs['bucket'])).to.have.members([bucketName(stack, 'uploads'), bucketName(stack, 'assets'), bucketName(stack, 'downloads'), ...deploy]);
        for (const bucket of buckets) {
          const block = ofType(run, TYPES.publicAccessBlock).find((b) => b.inputs['bucket'] === bucket.inputs['bucket']);
          expect(block?.inputs, String(bucket.name)).to.include({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
          const encryption = ofType(run, TYPES.encryption).find((e) => e.inputs['bucket'] === bucket.inputs['bucket']);
          expect(JSON.stringify(encryption?.inputs['rules'])).to.contain('AES256');
        }
      });
    }

    it('only the ephemeral stack may force-destroy data buckets; prod versions assets and downloads', async () => {
      const [dev, prod, pr] = await Promise.all([stackRun('dev'), stackRun('prod'), stackRun('pr-7')]);
      const isDeployBucket = (b: { inputs: Record<string, unknown> }) => b.inputs['bucket'] === bucketName('prod', 'deploy');
      expect(ofType(pr, TYPES.bucket).every((b) => b.inputs['forceDestroy'] === true)).to.equal(true);
      expect(ofType(dev, TYPES.bucket).every((b) => b.inputs['forceDestroy'] === false)).to.equal(true);
      expect(ofType(prod, TYPES.bucket).filter((b) => !isDeployBucket(b)).every((b) => b.inputs['forceDestroy'] === false)).to.equal(true);
      // Host bundles are re-uploaded by every deploy: that bucket is neither kept nor versioned.
      expect(ofType(prod, TYPES.bucket).filter(isDeployBucket).map((b) => [b.inputs['forceDestroy'], b.retainOnDelete])).to.deep.equal([[true, false]]);
      expect(ofType(prod, TYPES.versioning).map((v) => v.inputs['bucket'])).to.have.members([bucketName('prod', 'assets'), bucketName('prod', 'downloads')]);
    });

    it('a destroy keeps prod data (buckets, database) and leaves nothing of an ephemeral stack', async () => {
      const [prod, pr] = await Promise.all([stackRun('prod'), stackRun('pr-7')]);
      const retained = (run: OfflineRun) => run.resources.filter((r) => r.retainOnDelete).map((r) => r.type);
      expect(retained(prod).sort()).to.deep.equal([TYPES.rds, TYPES.bucket, TYPES.bucket, TYPES.bucket].sort());
      expect(retained(pr)).to.deep.equal([]);
      expect(ofType(pr, TYPES.ecr).every((r) => r.inputs['forceDelete'] === true)).to.equal(true);
      expect(ofType(prod, TYPES.ecr).every((r) => r.inputs['forceDelete'] === false)).to.equal(true);
      expect(one(pr, TYPES.lightsailDatabase, '-db').inputs).to.include({ skipFinalSnapshot: true, backupRetentionEnabled: false });
      expect(one(prod, TYPES.alb, '-api').inputs['enableDeletionProtection']).to.equal(true);
    });

    it('uploads notify EventBridge and expire raw ZIPs', async () => {
      const dev = await stackRun('dev');
      expect(one(dev, TYPES.notification, '-uploads-eventbridge').inputs).to.include({ bucket: bucketName('dev', 'uploads'), eventbridge: true });
      const lifecycle = one(dev, TYPES.lifecycle, '-uploads-lifecycle');
      expect(lifecycle.inputs['rules']).to.deep.include.members([
        { id: 'expire-raw-uploads', status: 'Enabled', filter: { prefix: 'uploads/' }, expiration: { days: 7 }, abortIncompleteMultipartUpload: { daysAfterInitiation: 1 } },
      ]);
    });

    it('expires customised renders after their retention, leftover per-buyer set ZIPs after a day, and old versions where buckets are versioned', async () => {
      const customRenders = { id: 'expire-custom-renders', status: 'Enabled', filter: { prefix: 'custom/' }, expiration: { days: CUSTOM_RENDER_RETENTION_DAYS } };
      const licensedCopies = { id: 'expire-licensed-set-zips', status: 'Enabled', filter: { prefix: 'licensed/' }, expiration: { days: 1 } };
      const oldVersions = { id: 'expire-old-versions', status: 'Enabled', filter: {}, noncurrentVersionExpiration: { noncurrentDays: 90 } };
      const dev = await stackRun('dev');
      expect(one(dev, TYPES.lifecycle, '-downloads-lifecycle').inputs['rules']).to.deep.equal([customRenders, licensedCopies]);
      expect(ofType(dev, TYPES.lifecycle).map((l) => l.name).filter((n) => n.includes('-assets'))).to.deep.equal([]);
      const prod = await stackRun('prod');
      expect(one(prod, TYPES.lifecycle, '-downloads-lifecycle').inputs['rules']).to.deep.equal([customRenders, licensedCopies, oldVersions]);
      expect(one(prod, TYPES.lifecycle, '-assets-lifecycle').inputs['rules']).to.deep.equal([oldVersions]);
    });
  });

  describe('pipeline', () => {
    for (const stack of STACKS) {
      it(`${stack}: three functions with the contract's environment, runtime, architecture and own log group`, async () => {
        const run = await stackRun(stack);
        // The payout job's function is checked in payouts.test.ts.
        const functions = ofType(run, TYPES.fn).filter((f) => !f.name.endsWith(`-${PAYOUT_FUNCTION}`));
        expect(functions.map((f) => f.name)).to.have.members(FUNCTION_NAMES.map((n) => `svg-marketplace-${stack}-${n}`));
        for (const fn of functions) {
          expect(fn.inputs).to.include({ runtime: 'nodejs22.x', handler: 'index.handler' });
          expect(fn.inputs['architectures']).to.deep.equal(['arm64']);
          const env = (fn.inputs['environment'] as { variables: Record<string, string> }).variables;
          expect(Object.keys(env)).to.include.members(FUNCTION_ENV_REQUIRED);
          expect(FUNCTION_ENV_KNOWN).to.include.members(Object.keys(env));
          expect(env).to.include({ PREVIEW_DELAY_SECONDS: '120', PREVIEW_SAMPLE_SIZE: '9', PREVIEW_MAX_ATTEMPTS: '5', PREVIEW_RETRY_DELAY_SECONDS: '60', PREVIEW_STALL_SECONDS: '900' });
          // Queue consumers dead-letter unprocessable messages themselves, with the reason.
          expect('DEAD_LETTER_QUEUE_URL' in env, fn.name).to.equal(!fn.name.endsWith('-image-batcher'));
          // No password in the environment: it is read at cold start from the stack's SecureString.
          expect(fn.secretInputs).to.not.include('environment');
          expect(new URL(env['DATABASE_URL']!).password).to.equal('');
          // The pipeline's own login (database-logins.test.ts), never the master user. Prod: RDS in the VPC, the
          // password from its parameter. Dev-shaped: the host's PgBouncer on :6432, verified against the stack's CA,
          // logged in with the login's client certificate from its parameter, and no password at all.
          const credentials = stack === 'prod' ? 'pipeline-password' : 'pipeline-client-tls';
          if (stack === 'prod') {
            expect(env['DATABASE_URL']).to.match(/^postgres:\/\/pipeline_login@[^:/]+:5432\/marketplace\?sslmode=verify-full&sslrootcert=aws-rds$/);
            expect(env['DATABASE_PASSWORD_PARAMETER']).to.equal(`/svg-marketplace/${stack}/database/pipeline-password`);
            expect(env).to.not.have.property('DATABASE_TLS_PARAMETER');
          } else {
            expect(env['DATABASE_URL']).to.equal(`postgres://pipeline_login@${String(run.outputs['devHostIp'])}:6432/marketplace?sslmode=verify-full`);
            expect(env['DATABASE_TLS_PARAMETER']).to.equal(`/svg-marketplace/${stack}/database/pipeline-client-tls`);
            expect(env).to.not.have.property('DATABASE_PASSWORD_PARAMETER');
          }
          const parameter = one(run, 'aws:ssm/parameter:Parameter', `-db-${credentials}`);
          expect(parameter.inputs).to.include({ name: `/svg-marketplace/${stack}/database/${credentials}`, type: 'SecureString' });
          expect(parameter.secretInputs).to.include('value');
          expect(parameter.deleteBeforeReplace).to.equal(true);
          const logGroup = one(run, TYPES.logGroup, fn.name);
          expect((fn.inputs['loggingConfig'] as { logGroup: string }).logGroup).to.equal(logGroup.inputs['name']);
          expect(logGroup.inputs['retentionInDays']).to.equal(stack === 'prod' ? 30 : 7);
        }
        const processor = one(run, TYPES.fn, '-image-processor');
        const batcher = one(run, TYPES.fn, '-image-batcher');
        expect(processor.inputs['memorySize']).to.be.greaterThan(batcher.inputs['memorySize'] as number);
      });
    }

    it('prod functions run in the private subnets; dev functions outside any VPC', async () => {
      const [dev, prod] = await Promise.all([stackRun('dev'), stackRun('prod')]);
      for (const fn of ofType(prod, TYPES.fn)) expect((fn.inputs['vpcConfig'] as { subnetIds: string[] }).subnetIds).to.deep.equal(['subnet-isolated-0', 'subnet-isolated-1']);
      for (const fn of ofType(dev, TYPES.fn)) expect(fn.inputs['vpcConfig']).to.equal(undefined);
    });

    for (const stack of STACKS) {
      it(`${stack}: consumed queues outlast six function timeouts, redrive to DLQs and report partial batches`, async () => {
        const run = await stackRun(stack);
        const mappings = ofType(run, TYPES.mapping);
        expect(mappings).to.have.length(2);
        for (const mapping of mappings) {
          const queueName = String(mapping.inputs['eventSourceArn']).split(':').pop();
          const queue = ofType(run, TYPES.queue).find((q) => q.inputs['name'] === queueName);
          const fn = ofType(run, TYPES.fn).find((f) => f.inputs['name'] === mapping.inputs['functionName']);
          expect(queue, queueName).to.not.equal(undefined);
          expect(fn).to.not.equal(undefined);
          expect(queue?.inputs['visibilityTimeoutSeconds']).to.be.at.least(6 * (fn?.inputs['timeout'] as number));
          const redrive = JSON.parse(String(queue?.inputs['redrivePolicy'])) as { deadLetterTargetArn: string; maxReceiveCount: number };
          expect(redrive.deadLetterTargetArn).to.match(/-dlq$/);
          expect(mapping.inputs['functionResponseTypes']).to.deep.equal(['ReportBatchItemFailures']);
        }
        const preview = one(run, TYPES.queue, '-preview-maker');
        expect((JSON.parse(String(preview.inputs['redrivePolicy'])) as { maxReceiveCount: number }).maxReceiveCount).to.equal(5);
      });
    }

    it('EventBridge sends uploads/*.zip from the uploads bucket to ImageBatcher, failures to its DLQ', async () => {
      const run = await stackRun('dev');
      const rule = one(run, TYPES.rule, '-upload-created');
      const pattern = JSON.parse(String(rule.inputs['eventPattern'])) as Record<string, unknown>;
      expect(pattern).to.deep.equal({
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [bucketName('dev', 'uploads')] }, object: { key: [{ wildcard: 'uploads/*.zip' }] } },
      });
      const target = one(run, TYPES.target, '-upload-created-target');
      expect(target.inputs['arn']).to.equal('arn:aws:lambda:us-east-1:123456789012:function:svg-marketplace-dev-image-batcher');
      expect((target.inputs['deadLetterConfig'] as { arn: string }).arn).to.match(/image-batcher-dlq$/);
    });

    for (const stack of STACKS) {
      it(`${stack}: IAM grants no wildcard actions and nothing on data resources by "*"`, async () => {
        const run = await stackRun(stack);
        const policies = [...ofType(run, TYPES.rolePolicy), ...ofType(run, TYPES.userPolicy)];
        expect(policies.length).to.be.greaterThan(3);
        for (const policy of policies) {
          for (const statement of statements(policy)) {
            for (const action of statement.Action) expect(action, policy.name).to.not.match(/(^\*$|:\*$)/);
            if (statement.Resource.includes('*')) expect(statement.Action, policy.name).to.deep.equal(['ecr:GetAuthorizationToken']);
          }
        }
        // Each function reads only what it needs: the batcher reads raw uploads, nobody else does.
        const readers = ofType(run, TYPES.rolePolicy).filter((p) => statements(p).some((s) => s.Action.includes('s3:GetObject') && s.Resource.some((r) => r.includes(`${bucketName(stack, 'uploads')}/uploads/`))));
        expect(readers.map((p) => p.name)).to.deep.equal([`svg-marketplace-${stack}-image-batcher-access`]);
      });
    }
  });

  describe('database', () => {
    it('prod: RDS in private subnets, encrypted, backed up, protected, not public', async () => {
      const prod = await stackRun('prod');
      const db = one(prod, TYPES.rds, '-db');
      expect(db.inputs).to.include({ publiclyAccessible: false, storageEncrypted: true, deletionProtection: true, skipFinalSnapshot: false, engine: 'postgres' });
      expect(db.inputs['backupRetentionPeriod']).to.be.at.least(1);
      // AWS keeps the master password in Secrets Manager: the stack neither sets nor knows it.
      expect(db.inputs).to.include({ manageMasterUserPassword: true, username: 'marketplace' });
      expect(db.inputs).to.not.have.property('password');
      const subnets = one(prod, 'aws:rds/subnetGroup:SubnetGroup', '-db-subnets');
      expect(subnets.inputs['subnetIds']).to.deep.equal(['subnet-isolated-0', 'subnet-isolated-1']);
    });

    it('dev: Lightsail managed PostgreSQL that an ephemeral stack destroys without a snapshot', async () => {
      const pr = await stackRun('pr-7');
      const db = one(pr, TYPES.lightsailDatabase, '-db');
      expect(db.inputs).to.include({ skipFinalSnapshot: true, masterDatabaseName: 'marketplace' });
      expect(db.secretInputs).to.include('masterPassword');
    });
  });

  describe('network (prod)', () => {
    it('a VPC with a NAT instance routed from every private subnet and a free S3 gateway endpoint', async () => {
      const prod = await stackRun('prod');
      const vpc = one(prod, TYPES.vpc, '-vpc');
      expect(vpc.inputs['natGateways']).to.deep.equal({ strategy: 'None' });
      const nat = one(prod, TYPES.ec2, '-nat');
      expect(nat.inputs).to.include({ instanceType: 't4g.nano', sourceDestCheck: false });
      const routes = ofType(prod, TYPES.route);
      expect(routes.map((r) => r.inputs['routeTableId'])).to.have.members(['rtb-subnet-isolated-0', 'rtb-subnet-isolated-1']);
      for (const route of routes) expect(route.inputs).to.include({ destinationCidrBlock: '0.0.0.0/0' }).and.have.property('networkInterfaceId').that.matches(/^eni-/);
      expect(one(prod, TYPES.vpcEndpoint, '-s3-endpoint').inputs).to.include({ vpcEndpointType: 'Gateway', serviceName: 'com.amazonaws.us-east-1.s3' });
    });
  });

  describe('api and front end (prod)', () => {
    it('an ASG with one hot instance and a stopped warm pool behind an HTTPS ALB', async () => {
      const prod = await stackRun('prod');
      const asg = one(prod, TYPES.asg, '-api');
      expect(asg.inputs).to.include({ minSize: 1, desiredCapacity: 1, healthCheckType: 'ELB' });
      expect(asg.inputs['warmPool']).to.deep.include({ poolState: 'Stopped', minSize: 1 });
      // HTTPS only: CloudFront is the one client (test/infra/edge.test.ts), and it redirects viewers itself.
      const listeners = ofType(prod, TYPES.listener);
      expect(listeners.map((l) => l.inputs['protocol'])).to.deep.equal(['HTTPS']);
      expect(listeners[0]?.inputs['certificateArn']).to.match(/^arn:aws:acm:/);
      const template = one(prod, TYPES.launchTemplate, '-api');
      const userData = Buffer.from(String(template.inputs['userData']), 'base64').toString();
      expect(userData).to.contain('nginx').and.contain('svg-marketplace-prod-api:offline-plan').and.not.contain('offline-plan-placeholder');
      // A new imageTag is a new launch template version, which starts an instance refresh (warm pool included).
      expect(asg.inputs['launchTemplate']).to.deep.include({ version: '1' });
      expect(asg.inputs['instanceRefresh']).to.deep.include({ strategy: 'Rolling' });
    });

    it('one CloudFront WAF, created in us-east-1, with managed rules, rate limit and block lists; none on the ALB, which sees only CloudFront', async () => {
      const prod = await customRun('prod', { config: { 'aws:region': 'eu-west-1', 'svg-marketplace:apiCertificateArn': 'arn:aws:acm:eu-west-1:123456789012:certificate/abc', 'svg-marketplace:wafBlockedIps': ['198.51.100.0/24', '2001:db8::/32'] } });
      const acls = ofType(prod, TYPES.webAcl);
      const edge = acls.find((a) => a.inputs['scope'] === 'CLOUDFRONT');
      expect(acls.map((a) => a.inputs['scope'])).to.deep.equal(['CLOUDFRONT']);
      expect(ofType(prod, TYPES.webAclAssociation)).to.deep.equal([]);
      expect(edge?.region).to.equal('us-east-1');
      expect(one(prod, TYPES.cloudfront, '-cdn').inputs['webAclId']).to.equal(`arn:aws:wafv2:us-east-1:123456789012:${edge?.name}`);
      for (const acl of [edge]) {
        const rules = (acl?.inputs['rules'] as { name: string; statement: Record<string, unknown> }[]).map((r) => r.name);
        expect(rules).to.include.members(['rate-limit', 'block-user-agents', 'block-ips-ipv4', 'block-ips-ipv6', 'AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet']);
      }
      const ipSets = ofType(prod, 'aws:wafv2/ipSet:IpSet').filter((s) => s.inputs['scope'] === 'CLOUDFRONT');
      expect(ipSets.map((s) => s.region)).to.deep.equal(['us-east-1', 'us-east-1']);
    });

    for (const stack of ['prod', 'dev'] as const) {
      it(`${stack}: ImageProcessor writes full-size renditions only to the private downloads bucket; PreviewMaker may delete old family previews`, async () => {
        const run = await stackRun(stack);
        const bySid = (suffix: string) =>
          new Map((statements(one(run, 'aws:iam/rolePolicy:RolePolicy', suffix)) as unknown as { Sid: string; Action: string[]; Resource: string[] }[]).map((st) => [st.Sid, st]));
        const processor = bySid('-image-processor-access');
        expect(processor.get('WriteFullSizeRenditions')).to.deep.include({ Action: ['s3:PutObject'], Resource: [`arn:aws:s3:::${bucketName(stack, 'downloads')}/full-size/*`] });
        expect(processor.get('WriteRenditions')?.Resource).to.deep.equal([`arn:aws:s3:::${bucketName(stack, 'assets')}/previews/*`]);
        expect(bySid('-preview-maker-access').get('DeleteOldFamilyPreviews')).to.deep.include({
          Action: ['s3:DeleteObject'],
          Resource: [`arn:aws:s3:::${bucketName(stack, 'assets')}/family-previews/*`],
        });
      });
    }

    for (const [stack, cdnSuffix] of [['prod', '-cdn'], ['dev', '-assets-cdn']] as const) {
      it(`${stack}: CloudFront reads previews from the private assets bucket through origin access control only`, async () => {
        const run = await stackRun(stack);
        const cdn = one(run, TYPES.cloudfront, cdnSuffix);
        const origins = cdn.inputs['origins'] as { originId: string; originAccessControlId?: string }[];
        expect(origins.find((o) => o.originId === 'assets')?.originAccessControlId).to.be.a('string');
        const behaviors = cdn.inputs['orderedCacheBehaviors'] as { pathPattern: string; targetOriginId: string; responseHeadersPolicyId?: string }[];
        for (const prefix of ['previews/', 'family-previews/']) {
          expect(behaviors.find((b) => b.pathPattern === `/${prefix}*`), prefix).to.deep.include({ targetOriginId: 'assets' }).and.have.property('responseHeadersPolicyId');
        }
        const policy = one(run, 'aws:s3/bucketPolicy:BucketPolicy', '-assets-cdn-read');
        const statement = statements(policy)[0] as unknown as { Principal: unknown; Resource: string[]; Condition: unknown };
        expect(statement.Principal).to.deep.equal({ Service: 'cloudfront.amazonaws.com' });
        expect(statement.Resource).to.deep.equal([`arn:aws:s3:::${bucketName(stack, 'assets')}/previews/*`, `arn:aws:s3:::${bucketName(stack, 'assets')}/family-previews/*`]);
        // Only this stack's distribution: the mocks give it the ARN the provider would.
        expect(statement.Condition).to.deep.equal({ StringEquals: { 'AWS:SourceArn': mockState(cdn.type, cdn.name, cdn.inputs, run.region)['arn'] } });
      });
    }
  });

  describe('registry', () => {
    for (const stack of STACKS) {
      it(`${stack}: api and web repositories keep three images`, async () => {
        const run = await stackRun(stack);
        expect(ofType(run, TYPES.ecr).map((r) => r.inputs['name'])).to.have.members([`svg-marketplace-${stack}-api`, `svg-marketplace-${stack}-web`]);
        for (const lifecycle of ofType(run, TYPES.ecrLifecycle)) {
          const rule = (JSON.parse(String(lifecycle.inputs['policy'])) as { rules: { selection: Record<string, unknown> }[] }).rules[0];
          expect(rule?.selection).to.include({ countType: 'imageCountMoreThan', countNumber: 3 });
        }
      });
    }
  });

  describe('monitoring (prod)', () => {
    it('alarms on ALB 5xx, target health, every DLQ, Lambda errors and duration, RDS CPU and storage, all to the ops topic', async () => {
      const prod = await stackRun('prod');
      const alarms = ofType(prod, TYPES.alarm);
      const metrics = alarms.map((a) => `${String(a.inputs['namespace'])}/${String(a.inputs['metricName'])}`);
      expect(metrics).to.include.members(['AWS/ApplicationELB/HTTPCode_Target_5XX_Count', 'AWS/ApplicationELB/HTTPCode_ELB_5XX_Count', 'AWS/ApplicationELB/HealthyHostCount', 'AWS/RDS/CPUUtilization', 'AWS/RDS/FreeStorageSpace']);
      expect(metrics.filter((m) => m === 'AWS/SQS/ApproximateNumberOfMessagesVisible')).to.have.length(3);
      // The pipeline's three functions and the payout job (payouts.test.ts).
      expect(metrics.filter((m) => m === 'AWS/Lambda/Errors')).to.have.length(4);
      expect(metrics.filter((m) => m === 'AWS/Lambda/Duration')).to.have.length(3);
      const dlqAlarms = alarms.filter((a) => a.inputs['metricName'] === 'ApproximateNumberOfMessagesVisible').map((a) => (a.inputs['dimensions'] as { QueueName: string }).QueueName);
      expect(dlqAlarms.every((name) => name.endsWith('-dlq'))).to.equal(true);
      for (const alarm of alarms) expect(alarm.inputs['alarmActions']).to.deep.equal(['arn:aws:sns:us-east-1:123456789012:svg-marketplace-prod-ops-alarms']);
      expect(ofType(prod, TYPES.dashboard)).to.have.length(1);
    });
  });

  describe('names', () => {
    it('never collide between stacks and stay within AWS limits', async () => {
      const runs = await Promise.all(STACKS.map((s) => stackRun(s)));
      const physical = (run: OfflineRun) =>
        run.resources.flatMap((r) => ['name', 'bucket', 'identifier', 'relationalDatabaseName', 'dashboardName'].map((k) => r.inputs[k]).filter((v): v is string => typeof v === 'string'));
      const [dev, prod, pr] = runs.map(physical) as [string[], string[], string[]];
      expect(dev.length).to.be.greaterThan(20);
      for (const [a, b] of [[dev, prod], [dev, pr], [prod, pr]] as const) expect(a.filter((n) => b.includes(n))).to.deep.equal([]);
      for (const run of runs) {
        for (const bucket of ofType(run, TYPES.bucket)) expect(String(bucket.inputs['bucket'])).to.have.length.at.most(NAME_LIMITS.s3Bucket);
        for (const fn of ofType(run, TYPES.fn)) expect(String(fn.inputs['name'])).to.have.length.at.most(NAME_LIMITS.lambdaFunction);
        for (const lb of [...ofType(run, TYPES.alb), ...ofType(run, 'aws:lb/targetGroup:TargetGroup')]) expect(String(lb.inputs['name'])).to.have.length.at.most(NAME_LIMITS.loadBalancer);
      }
    });
  });
});

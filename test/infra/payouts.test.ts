/**
 * Item 8 of issue 12 in the stacks: Stripe's secrets as SecureString parameters per stack, read by the API
 * at start and by the payout job, and the payout job as a Lambda that EventBridge Scheduler invokes. Every
 * grant is stated exactly: a removed or widened action fails here.
 */
import { expect } from 'chai';
import { STRIPE_PARAMETER_PLACEHOLDER } from '../../core/selling/stripe-parameters.ts';
import { runsPerMonth } from '../../scripts/plan/cost.ts';
import { mockState } from '../../scripts/plan/mocks.ts';
import type { OfflineRun, PlannedResource } from '../../scripts/plan/offline-run.ts';
import { parseEnv } from 'node:util';
import { apiEnvFile, bootScript, customRun, ofType, one, stackRun, TYPES } from './fixture.ts';

const ACCOUNT = '123456789012';
const PARAMETER = 'aws:ssm/parameter:Parameter';
const SCHEDULE = 'aws:scheduler/schedule:Schedule';
const ROLE = 'aws:iam/role:Role';
const ATTACHMENT = 'aws:iam/rolePolicyAttachment:RolePolicyAttachment';

interface PolicyStatement {
  Sid?: string;
  Effect: string;
  Action: string[] | string;
  Resource?: string[];
  Principal?: unknown;
  Condition?: unknown;
}
const statementsOf = (policy: PlannedResource) => (JSON.parse(String(policy.inputs['policy'])) as { Statement: PolicyStatement[] }).Statement;
const outputs = (stack: OfflineRun, r: PlannedResource) => mockState(r.type, r.name, r.inputs, r.region ?? stack.region);
const parameterArn = (stack: string, slug: string) => `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/svg-marketplace/${stack}/stripe/${slug}`;
const functionArn = (stack: string) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:svg-marketplace-${stack}-payout-runner`;

describe('infra for payments: Stripe secrets and the scheduled payout job', () => {
  for (const stack of ['dev', 'prod'] as const) {
    describe(stack, () => {
      it('keeps both Stripe secrets as standard SecureString parameters under /svg-marketplace/<stack>/stripe/, holding the placeholder until configured', async () => {
        const run = await stackRun(stack);
        const parameters = ofType(run, PARAMETER).filter((p) => String(p.inputs['name']).includes('/stripe/'));
        expect(parameters.map((p) => [p.inputs['name'], p.inputs['type'], p.inputs['tier'], p.inputs['value']])).to.deep.equal([
          [`/svg-marketplace/${stack}/stripe/secret-key`, 'SecureString', 'Standard', STRIPE_PARAMETER_PLACEHOLDER],
          [`/svg-marketplace/${stack}/stripe/webhook-secret`, 'SecureString', 'Standard', STRIPE_PARAMETER_PLACEHOLDER],
        ]);
      });

      it('lets the API read exactly the two Stripe parameters, and tells it their names', async () => {
        const run = await stackRun(stack);
        const policy = stack === 'prod' ? one(run, TYPES.rolePolicy, '-api-access') : one(run, TYPES.userPolicy, '-host-access');
        const statements = statementsOf(policy);
        expect(statements.filter((s) => s.Sid === 'ReadStripeSecrets')).to.deep.equal([
          { Sid: 'ReadStripeSecrets', Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: [parameterArn(stack, 'secret-key'), parameterArn(stack, 'webhook-secret')] },
        ]);
        // No other statement reaches them (prod's ReadApiSecrets lists the API's own parameters only).
        const reaching = statements.filter((s) => (s.Resource ?? []).some((r) => r.includes('/stripe/')));
        expect(reaching.map((s) => s.Sid)).to.deep.equal(['ReadStripeSecrets']);
        // The env file points the API at them by name; the values are read from SSM, never written to the host.
        const env = parseEnv(apiEnvFile(run));
        expect(env).to.include({
          STRIPE_SECRET_KEY_PARAMETER: `/svg-marketplace/${stack}/stripe/secret-key`,
          STRIPE_WEBHOOK_SECRET_PARAMETER: `/svg-marketplace/${stack}/stripe/webhook-secret`,
        });
        expect(Object.keys(env)).to.not.include.members(['STRIPE_SECRET_KEY']);
        expect(Object.keys(env)).to.not.include.members(['STRIPE_WEBHOOK_SECRET']);
      });

      it('runs the payout job as a Lambda whose role may write its logs and read the Stripe key and its database password, nothing else', async () => {
        const run = await stackRun(stack);
        const fn = one(run, TYPES.fn, '-payout-runner');
        const env = (fn.inputs['environment'] as { variables: Record<string, string> }).variables;
        // Prod: RDS with the login's password; dev: the host's PgBouncer with the login's client certificate, no password.
        const credentials = stack === 'prod' ? { DATABASE_PASSWORD_PARAMETER: `/svg-marketplace/${stack}/database/payouts-password` } : { DATABASE_TLS_PARAMETER: `/svg-marketplace/${stack}/database/payouts-client-tls` };
        expect(Object.keys(env).sort()).to.deep.equal([...Object.keys(credentials), 'DATABASE_URL', 'LOG_LEVEL', 'PAYOUT_THRESHOLD_CENTS', 'STRIPE_SECRET_KEY_PARAMETER']);
        expect(env).to.include({
          STRIPE_SECRET_KEY_PARAMETER: `/svg-marketplace/${stack}/stripe/secret-key`,
          PAYOUT_THRESHOLD_CENTS: '5000',
          LOG_LEVEL: stack === 'dev' ? 'debug' : 'info',
          ...credentials,
        });
        // Its own login (payouts_login), read at cold start: nothing secret in its configuration.
        if (stack === 'prod') expect(env['DATABASE_URL']).to.match(/^postgres:\/\/payouts_login@[^:/]+:5432\/marketplace\?sslmode=verify-full&sslrootcert=aws-rds$/);
        else expect(env['DATABASE_URL']).to.equal(`postgres://payouts_login@${String(run.outputs['devHostIp'])}:6432/marketplace?sslmode=verify-full`);
        expect(fn.secretInputs).to.not.include('environment');
        expect(fn.inputs).to.include({ handler: 'index.handler', runtime: 'nodejs22.x', memorySize: 256, timeout: 300 });
        expect(statementsOf(one(run, TYPES.rolePolicy, '-payout-runner-access'))).to.deep.equal([
          { Sid: 'WriteOwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [`arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/svg-marketplace-${stack}-payout-runner:*`] },
          { Sid: 'ReadStripeSecretKey', Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: [parameterArn(stack, 'secret-key')] },
          stack === 'prod'
            ? { Sid: 'ReadPayoutsDatabasePassword', Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: [`arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/svg-marketplace/${stack}/database/payouts-password`] }
            : { Sid: 'ReadPayoutsDatabaseCertificate', Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: [`arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/svg-marketplace/${stack}/database/payouts-client-tls`] },
        ]);
        const role = one(run, ROLE, '-payout-runner-role');
        expect(JSON.parse(String(role.inputs['assumeRolePolicy']))).to.deep.equal({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } }],
        });
        // Its only other policies: prod's VPC access (ENIs), which reaches RDS in the private subnets.
        const policies = run.resources.filter((r) => (r.type === TYPES.rolePolicy || r.type === ATTACHMENT) && r.name.includes('payout-runner'));
        expect(policies.map((p) => p.name).sort()).to.deep.equal(
          stack === 'prod' ? ['svg-marketplace-prod-payout-runner-access', 'svg-marketplace-prod-payout-runner-vpc-access'] : ['svg-marketplace-dev-payout-runner-access'],
        );
        if (stack === 'prod') {
          const vpc = fn.inputs['vpcConfig'] as { subnetIds: string[]; securityGroupIds: string[] };
          const pipelineVpc = one(run, TYPES.fn, '-preview-maker').inputs['vpcConfig'];
          expect(vpc).to.deep.equal(pipelineVpc);
        } else {
          expect(fn.inputs['vpcConfig']).to.equal(undefined);
        }
        // A failed run alarms once; the next run retries pending payouts with their idempotency keys.
        expect(one(run, 'aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig', '-payout-runner-async').inputs).to.include({ maximumRetryAttempts: 0 });
      });

      it('schedules it with EventBridge Scheduler, Mondays 09:00 UTC, through a role that may invoke exactly that function', async () => {
        const run = await stackRun(stack);
        const schedule = one(run, SCHEDULE, '-payouts');
        const role = one(run, ROLE, '-payouts-scheduler-role');
        expect(schedule.inputs).to.include({ name: `svg-marketplace-${stack}-payouts`, scheduleExpression: 'cron(0 9 ? * MON *)', scheduleExpressionTimezone: 'UTC' });
        expect(schedule.inputs['flexibleTimeWindow']).to.deep.equal({ mode: 'OFF' });
        expect(schedule.inputs['target']).to.deep.equal({
          arn: functionArn(stack),
          roleArn: outputs(run, role)['arn'],
          retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
        });
        expect(statementsOf(one(run, TYPES.rolePolicy, '-payouts-scheduler-invoke'))).to.deep.equal([
          { Sid: 'InvokePayoutRunner', Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [functionArn(stack)] },
        ]);
        expect(JSON.parse(String(role.inputs['assumeRolePolicy']))).to.deep.equal({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 'sts:AssumeRole',
              Principal: { Service: 'scheduler.amazonaws.com' },
              Condition: {
                StringEquals: { 'aws:SourceAccount': ACCOUNT },
                ArnEquals: { 'aws:SourceArn': `arn:aws:scheduler:us-east-1:${ACCOUNT}:schedule/default/svg-marketplace-${stack}-payouts` },
              },
            },
          ],
        });
        expect(run.resources.filter((r) => (r.type === TYPES.rolePolicy || r.type === ATTACHMENT) && r.name.includes('payouts-scheduler')).map((r) => r.name)).to.deep.equal([
          `svg-marketplace-${stack}-payouts-scheduler-invoke`,
        ]);
        if (stack === 'dev') {
          // Dev-shaped stacks have no alarms (no monitoring).
          expect(ofType(run, TYPES.alarm)).to.deep.equal([]);
          return;
        }
        const alarm = one(run, TYPES.alarm, '-alarm-payout-runner-errors');
        expect(alarm.inputs).to.include({ namespace: 'AWS/Lambda', metricName: 'Errors', threshold: 1, comparisonOperator: 'GreaterThanOrEqualToThreshold' });
        expect(alarm.inputs['dimensions']).to.deep.equal({ FunctionName: `svg-marketplace-${stack}-payout-runner` });
        expect(alarm.inputs['alarmActions']).to.deep.equal([`arn:aws:sns:us-east-1:${ACCOUNT}:svg-marketplace-${stack}-ops-alarms`]);
      });
    });
  }

  it('puts configured Stripe secrets into the parameters as Pulumi secrets, and takes the schedule and threshold from the stack config', async () => {
    const run = await customRun('dev', {
      config: {
        'svg-marketplace:stripeSecretKey': 'sk_test_configured',
        'svg-marketplace:stripeWebhookSecret': 'whsec_configured',
        'svg-marketplace:payoutSchedule': 'rate(1 day)',
        'svg-marketplace:payoutThresholdCents': 2500,
      },
    });
    const key = one(run, PARAMETER, '-stripe-secret-key');
    const webhook = one(run, PARAMETER, '-stripe-webhook-secret');
    expect([key.inputs['value'], webhook.inputs['value']]).to.deep.equal(['sk_test_configured', 'whsec_configured']);
    expect(key.secretInputs).to.include('value');
    expect(bootScript(run)).to.not.include('sk_test_configured');
    expect(webhook.secretInputs).to.include('value');
    expect(one(run, SCHEDULE, '-payouts').inputs['scheduleExpression']).to.equal('rate(1 day)');
    expect((one(run, TYPES.fn, '-payout-runner').inputs['environment'] as { variables: Record<string, string> }).variables['PAYOUT_THRESHOLD_CENTS']).to.equal('2500');
  });

  it('refuses one Stripe secret without the other, or a value without its prefix, naming the key', async () => {
    const failure = (config: Record<string, unknown>) => customRun('dev', { config }).then(() => '', (error: Error) => error.message);
    expect(await failure({ 'svg-marketplace:stripeSecretKey': 'sk_test_alone' })).to.include(
      'svg-marketplace:stripeWebhookSecret: required with stripeSecretKey (pulumi config set --secret stripeWebhookSecret ...)',
    );
    const prefixes = await failure({ 'svg-marketplace:stripeSecretKey': 'pk_test_publishable', 'svg-marketplace:stripeWebhookSecret': 'we_endpoint' });
    expect(prefixes).to.include('svg-marketplace:stripeSecretKey: must start with "sk_" (from the Stripe dashboard)');
    expect(prefixes).to.include('svg-marketplace:stripeWebhookSecret: must start with "whsec_" (from the Stripe dashboard)');
    expect(await failure({ 'svg-marketplace:payoutSchedule': 'every monday' })).to.include(
      'svg-marketplace:payoutSchedule: must be an EventBridge Scheduler expression: cron(...) or rate(<n> <unit>)',
    );
  });

  it('counts a schedule\'s runs a month for the plan\'s cost line', () => {
    expect(runsPerMonth('cron(0 9 ? * MON *)')).to.equal(5);
    expect(runsPerMonth('cron(0 9 1 * ? *)')).to.equal(1);
    expect(runsPerMonth('cron(0/15 * * * ? *)')).to.equal(60 * 24 * 31);
    expect(runsPerMonth('rate(1 day)')).to.equal(31);
    expect(runsPerMonth('rate(12 hours)')).to.equal(61);
  });
});

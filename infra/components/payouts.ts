import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { type InfraConfig, PAYOUT_FUNCTION } from '../config.ts';
import { componentType } from '../component-type.ts';
import { FIXED_NAME, type Namer } from '../naming.ts';
import { policyDocument } from '../iam.ts';
import type { ComponentLogin } from './database-logins.ts';
import type { ClientTls } from './database-tls.ts';
import { type LambdaSettings, type PermissionsBoundary, PipelineFunction, type PipelineNetwork } from './pipeline.ts';
import type { StripeSecrets } from './stripe-secrets.ts';

/** A run transfers a few balances through Stripe Connect: small and short, far from Lambda's limits. */
export const PAYOUT_FUNCTION_SETTINGS = { memoryMb: 256, timeoutSeconds: 300 } as const;
/** The schedule's clock (cron expressions are read in it). */
export const PAYOUT_SCHEDULE_TIMEZONE = 'UTC';

export interface PayoutsArgs {
  /** Physical names: `<project>-<stack>-<name>`. */
  naming: Namer;
  /** The stack's region: the scheduler role trusts only this region's schedule. */
  region: string;
  lambda: LambdaSettings;
  /** The job's `LOG_LEVEL` (stack config `logLevel`). */
  logLevel: InfraConfig['logLevel'];
  /**
   * The payout job's database login (`payouts_login`): the function gets its URL without the password and reads
   * the password from its SSM SecureString at cold start, as the pipeline's functions do.
   */
  database: ComponentLogin;
  /** Dev: PgBouncer with the login's client certificate instead of its password (as the pipeline's functions). */
  tls?: ClientTls;
  /** Where the job reads Stripe's secret key on a cold start (its only Stripe grant). */
  stripe: StripeSecrets;
  /** EventBridge Scheduler expression, `cron(...)` or `rate(...)` in UTC (stack config `payoutSchedule`). */
  scheduleExpression: string;
  /** Smallest balance transferred, in cents (stack config `payoutThresholdCents`). */
  thresholdCents: number;
  /** Failed runs alarm here (prod's ops topic, as its monitoring does). @default no alarm (dev-shaped stacks have none) */
  opsTopicArn?: pulumi.Input<string>;
  /** Prod: the function runs in the private subnets to reach RDS (Stripe through the NAT). @default outside any VPC */
  network?: PipelineNetwork;
  /** On the function's and the scheduler's roles (see PermissionsBoundary). @default none */
  permissionsBoundary?: PermissionsBoundary;
}

/**
 * The payout job (`functions/payout-runner`): EventBridge Scheduler invokes it on the schedule with a
 * role that may invoke exactly this function; it transfers every balance above the threshold through
 * Stripe Connect and logs the payout report. A failed run is not retried by Lambda (a pending payout is
 * retried by the next run with the same idempotency key, core/selling/payouts.ts): it raises an alarm.
 */
export class Payouts extends pulumi.ComponentResource {
  readonly runner: PipelineFunction;
  readonly schedule: aws.scheduler.Schedule;
  readonly schedulerRole: aws.iam.Role;
  readonly failureAlarm: aws.cloudwatch.MetricAlarm | undefined;

  constructor(name: string, args: PayoutsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType('Payouts'), name, {}, opts);
    const parent = { parent: this };
    const naming = args.naming;

    this.runner = new PipelineFunction(
      naming(PAYOUT_FUNCTION, 'lambdaFunction'),
      {
        naming,
        lambda: args.lambda,
        bundle: PAYOUT_FUNCTION,
        settings: PAYOUT_FUNCTION_SETTINGS,
        environment: {
          DATABASE_URL: args.tls ? args.tls.url : args.database.url,
          ...(args.tls ? { DATABASE_TLS_PARAMETER: args.tls.parameter.name } : { DATABASE_PASSWORD_PARAMETER: args.database.parameter.name }),
          STRIPE_SECRET_KEY_PARAMETER: args.stripe.secretKey.name,
          PAYOUT_THRESHOLD_CENTS: String(args.thresholdCents),
          LOG_LEVEL: args.logLevel,
        },
        // Not the webhook secret: the job only sends transfers.
        statements: [
          { Sid: 'ReadStripeSecretKey', Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: [args.stripe.secretKey.arn] },
          args.tls ? args.tls.readStatement() : args.database.readStatement(),
        ],
        ...(args.network ? { network: args.network } : {}),
        ...(args.permissionsBoundary ? { permissionsBoundary: args.permissionsBoundary } : {}),
      },
      parent,
    );
    new aws.lambda.FunctionEventInvokeConfig(
      `${this.runner.logicalName}-async`,
      { functionName: this.runner.function.name, maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 * 60 },
      { parent: this.runner },
    );

    const scheduleName = naming('payouts', 'schedule');
    this.schedulerRole = new aws.iam.Role(
      naming('payouts-scheduler-role', 'iamRole'),
      {
        name: naming('payouts-scheduler-role', 'iamRole'),
        assumeRolePolicy: schedulerAssumeRolePolicy(args.region, accountOf(this.runner.function.arn), scheduleName),
        ...(args.permissionsBoundary ? { permissionsBoundary: args.permissionsBoundary } : {}),
      },
      { ...parent, ...FIXED_NAME },
    );
    const invoke = new aws.iam.RolePolicy(
      `${naming('payouts-scheduler')}-invoke`,
      {
        role: this.schedulerRole.id,
        policy: policyDocument([{ Sid: 'InvokePayoutRunner', Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [this.runner.function.arn] }]),
      },
      parent,
    );
    this.schedule = new aws.scheduler.Schedule(
      scheduleName,
      {
        name: scheduleName,
        description: `Pays contributor balances of at least ${args.thresholdCents} cents out through Stripe Connect`,
        scheduleExpression: args.scheduleExpression,
        scheduleExpressionTimezone: PAYOUT_SCHEDULE_TIMEZONE,
        flexibleTimeWindow: { mode: 'OFF' },
        target: {
          arn: this.runner.function.arn,
          roleArn: this.schedulerRole.arn,
          // Delivery only (throttling): a run that fails inside the function alarms instead.
          retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 60 * 60 },
        },
      },
      { ...parent, dependsOn: [invoke], ...FIXED_NAME },
    );

    const alarmName = naming('alarm-payout-runner-errors', 'cloudwatchAlarm');
    this.failureAlarm = !args.opsTopicArn ? undefined : new aws.cloudwatch.MetricAlarm(
      alarmName,
      {
        name: alarmName,
        alarmDescription: 'A payout run failed (a transfer was refused or the job crashed): see the payout-runner log group for the report',
        namespace: 'AWS/Lambda',
        metricName: 'Errors',
        dimensions: { FunctionName: this.runner.function.name },
        statistic: 'Sum',
        period: 300,
        evaluationPeriods: 1,
        threshold: 1,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        treatMissingData: 'notBreaching',
        alarmActions: [args.opsTopicArn],
      },
      { ...parent, ...FIXED_NAME },
    );
    this.registerOutputs({ functionArn: this.runner.function.arn, scheduleArn: this.schedule.arn });
  }
}

/** The account id inside an ARN (`arn:aws:<service>:<region>:<account>:...`). */
function accountOf(arn: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.output(arn).apply((value) => {
    const account = value.split(':')[4];
    if (!account || !/^\d{12}$/.test(account)) throw new Error(`no account id in ARN ${value}`);
    return account;
  });
}

/** Only EventBridge Scheduler, for this account's payout schedule (the confused-deputy conditions AWS documents). */
export function schedulerAssumeRolePolicy(region: string, accountId: pulumi.Input<string>, scheduleName: string): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: {
          StringEquals: { 'aws:SourceAccount': accountId },
          ArnEquals: { 'aws:SourceArn': pulumi.interpolate`arn:aws:scheduler:${region}:${accountId}:schedule/default/${scheduleName}` },
        },
      },
    ],
  });
}

import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { FunctionName } from '../config.ts';
import { componentType } from '../component-type.ts';
import { FIXED_NAME, type Namer } from '../naming.ts';
import type { Api } from './api.ts';
import type { ProdDatabase } from './database.ts';
import type { Notifications } from './notifications.ts';
import type { Pipeline } from './pipeline.ts';

/** Alarm when a function's p95 duration passes this share of its timeout: it is about to time out. */
const DURATION_ALARM_SHARE = 0.8;
const RDS_CPU_ALARM_PERCENT = 80;
const RDS_FREE_STORAGE_ALARM_BYTES = 2 * 1024 ** 3;
const ALB_5XX_ALARM_COUNT = 10;

export interface MonitoringArgs {
  /** Physical names: `<project>-<stack>-<name>`. */
  naming: Namer;
  /** The stack's region, which the dashboard's metric widgets read. */
  region: string;
  pipeline: Pipeline;
  notifications: Notifications;
  api: Api;
  database: ProdDatabase;
}

/** CloudWatch alarms to the ops topic, and one dashboard of the same signals. */
export class Monitoring extends pulumi.ComponentResource {
  readonly alarms: aws.cloudwatch.MetricAlarm[] = [];
  readonly dashboard: aws.cloudwatch.Dashboard;

  constructor(name: string, args: MonitoringArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType('Monitoring'), name, {}, opts);
    const { pipeline, api, database, naming, region } = args;
    const actions = [args.notifications.opsTopic.arn];
    const alarm = (logical: string, spec: Omit<aws.cloudwatch.MetricAlarmArgs, 'name' | 'alarmActions' | 'okActions' | 'tags'>) => {
      const alarmName = naming(`alarm-${logical}`, 'cloudwatchAlarm');
      this.alarms.push(new aws.cloudwatch.MetricAlarm(alarmName, { name: alarmName, alarmActions: actions, okActions: actions, ...spec }, { parent: this, ...FIXED_NAME }));
    };

    const albDimensions = { LoadBalancer: api.loadBalancer.arnSuffix };
    // 5xx from the targets, and from the load balancer itself (no healthy target?): same rule, two metrics.
    const alb5xx = (logical: string, metricName: string, alarmDescription: string) =>
      alarm(logical, {
        alarmDescription,
        namespace: 'AWS/ApplicationELB',
        metricName,
        dimensions: albDimensions,
        statistic: 'Sum',
        period: 300,
        evaluationPeriods: 1,
        threshold: ALB_5XX_ALARM_COUNT,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
      });
    alb5xx('api-5xx', 'HTTPCode_Target_5XX_Count', 'The API load balancer or its targets answered with 5xx');
    alb5xx('api-elb-5xx', 'HTTPCode_ELB_5XX_Count', 'The API load balancer itself answered with 5xx (no healthy target?)');
    alarm('api-healthy-hosts', {
      alarmDescription: 'No healthy API instance behind the load balancer',
      namespace: 'AWS/ApplicationELB',
      metricName: 'HealthyHostCount',
      dimensions: { LoadBalancer: api.loadBalancer.arnSuffix, TargetGroup: api.targetGroup.arnSuffix },
      statistic: 'Minimum',
      period: 60,
      evaluationPeriods: 3,
      threshold: 1,
      comparisonOperator: 'LessThanThreshold',
      treatMissingData: 'breaching',
    });

    const deadLetterQueues = {
      'image-processor': pipeline.imageQueue.deadLetters,
      'preview-maker': pipeline.previewQueue.deadLetters,
      'image-batcher': pipeline.batcherFailures,
    } satisfies Record<FunctionName, aws.sqs.Queue>;
    for (const [fn, queue] of Object.entries(deadLetterQueues)) {
      alarm(`${fn}-dlq`, {
        alarmDescription: `Messages are waiting in the ${fn} dead-letter queue`,
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: queue.name },
        statistic: 'Maximum',
        period: 300,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
      });
    }

    for (const [fn, component] of Object.entries(pipeline.functions) as [FunctionName, (typeof pipeline.functions)[FunctionName]][]) {
      const dimensions = { FunctionName: component.function.name };
      alarm(`${fn}-errors`, {
        alarmDescription: `${fn} returned errors`,
        namespace: 'AWS/Lambda',
        metricName: 'Errors',
        dimensions,
        statistic: 'Sum',
        period: 300,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
      });
      alarm(`${fn}-duration`, {
        alarmDescription: `${fn} p95 duration is near its timeout`,
        namespace: 'AWS/Lambda',
        metricName: 'Duration',
        dimensions,
        extendedStatistic: 'p95',
        period: 300,
        evaluationPeriods: 2,
        threshold: component.timeoutSeconds * 1000 * DURATION_ALARM_SHARE,
        comparisonOperator: 'GreaterThanThreshold',
        treatMissingData: 'notBreaching',
      });
    }

    const dbDimensions = { DBInstanceIdentifier: database.instance.identifier };
    alarm('db-cpu', {
      alarmDescription: 'PostgreSQL CPU is high',
      namespace: 'AWS/RDS',
      metricName: 'CPUUtilization',
      dimensions: dbDimensions,
      statistic: 'Average',
      period: 300,
      evaluationPeriods: 3,
      threshold: RDS_CPU_ALARM_PERCENT,
      comparisonOperator: 'GreaterThanThreshold',
    });
    alarm('db-free-storage', {
      alarmDescription: 'PostgreSQL is running out of disk',
      namespace: 'AWS/RDS',
      metricName: 'FreeStorageSpace',
      dimensions: dbDimensions,
      statistic: 'Minimum',
      period: 300,
      evaluationPeriods: 1,
      threshold: RDS_FREE_STORAGE_ALARM_BYTES,
      comparisonOperator: 'LessThanThreshold',
    });

    const dashboardName = naming('overview', 'dashboard');
    this.dashboard = new aws.cloudwatch.Dashboard(
      dashboardName,
      {
        dashboardName,
        dashboardBody: pulumi.jsonStringify({
          widgets: [
            { type: 'alarm', x: 0, y: 0, width: 24, height: 6, properties: { title: 'Alarms', alarms: this.alarms.map((a) => a.arn) } },
            metricWidget('API responses', 0, region, [
              ['AWS/ApplicationELB', 'RequestCount', 'LoadBalancer', api.loadBalancer.arnSuffix],
              ['AWS/ApplicationELB', 'HTTPCode_Target_5XX_Count', 'LoadBalancer', api.loadBalancer.arnSuffix],
            ]),
            metricWidget('Pipeline errors', 8, region, Object.values(pipeline.functions).map((f) => ['AWS/Lambda', 'Errors', 'FunctionName', f.function.name])),
            metricWidget('Queue depth', 16, region, [
              ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', pipeline.imageQueue.queue.name],
              ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', pipeline.previewQueue.queue.name],
            ]),
          ],
        }),
      },
      { parent: this, ...FIXED_NAME },
    );
    this.registerOutputs({ dashboard: this.dashboard.dashboardName });
  }
}

function metricWidget(title: string, x: number, region: string, metrics: pulumi.Input<string>[][]) {
  return { type: 'metric', x, y: 6, width: 8, height: 6, properties: { title, region, stat: 'Sum', period: 300, metrics } };
}

/**
 * List prices used by the offline cost estimate: AWS us-east-1, on-demand, USD, as published
 * on the AWS and Lightsail pricing pages on the date below. Other regions cost 0–20% more.
 * Only what a stack pays at idle is priced; usage-billed services (S3 requests and storage,
 * Lambda, SQS, SNS, EventBridge, CloudFront transfer, WAF requests, log ingestion) are $0 here
 * and show up in the bill with traffic.
 */
export const PRICES_AS_OF = '2025-06-01';
export const PRICE_REGION = 'us-east-1';
export const HOURS_PER_MONTH = 730;

export const PRICES = {
  ec2InstanceHourly: {
    't4g.nano': 0.0042,
    't4g.micro': 0.0084,
    't4g.small': 0.0168,
    't4g.medium': 0.0336,
    't4g.large': 0.0672,
    't3.nano': 0.0052,
    't3.micro': 0.0104,
    't3.small': 0.0208,
    't3.medium': 0.0416,
  } as Record<string, number>,
  ebsGp3PerGbMonth: 0.08,
  /** Every public IPv4 address, attached or not, since February 2024. */
  publicIpv4Hourly: 0.005,
  albHourly: 0.0225,
  natGatewayHourly: 0.045,
  interfaceEndpointHourlyPerAz: 0.01,
  rdsInstanceHourly: {
    'db.t4g.micro': 0.016,
    'db.t4g.small': 0.032,
    'db.t4g.medium': 0.065,
    'db.t3.micro': 0.018,
    'db.t3.small': 0.036,
  } as Record<string, number>,
  rdsGp3PerGbMonth: 0.115,
  /** Secrets Manager: $0.40 per secret a month (the RDS-managed master secret too); API calls $0.05 per 10,000. */
  secretsManagerSecretMonthly: 0.4,
  lightsailInstanceMonthly: {
    nano_3_0: 5,
    micro_3_0: 7,
    small_3_0: 12,
    medium_3_0: 24,
    large_3_0: 44,
  } as Record<string, number>,
  lightsailDatabaseMonthly: {
    micro_2_0: 15,
    small_2_0: 30,
    medium_2_0: 60,
    micro_ha_2_0: 30,
    small_ha_2_0: 60,
  } as Record<string, number>,
  lightsailContainerNodeMonthly: {
    nano: 7,
    micro: 10,
    small: 25,
    medium: 50,
    large: 100,
    xlarge: 200,
  } as Record<string, number>,
  wafWebAclMonthly: 5,
  wafRuleMonthly: 1,
  cloudwatchAlarmMonthly: 0.1,
  /** The first three dashboards of an account are free; a stack cannot count on them. */
  cloudwatchDashboardMonthly: 3,
  /** Three kept images of roughly 300 MB each per repository. */
  ecrStoragePerGbMonth: 0.1,
  ecrAssumedGbPerRepository: 0.9,
  /** Standard-tier SSM parameters, SecureString included, cost nothing; Advanced ones $0.05 each a month. */
  ssmParameterMonthly: { Standard: 0, Advanced: 0.05 } as Record<string, number>,
  /** EventBridge Scheduler: 14 million invocations a month free, then $1.00 per million. */
  schedulerPerMillionInvocations: 1,
} as const;

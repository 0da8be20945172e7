import type { PlannedResource } from './offline-run.ts';
import { HOURS_PER_MONTH, PRICES } from './prices.ts';

export interface ResourceCost {
  monthlyUsd: number;
  /** How the figure was made, e.g. "t4g.small 730 h + 8 GB gp3". */
  basis: string;
}

export interface CostEstimate {
  byUrn: Map<string, ResourceCost>;
  totalUsd: number;
  /** Resources whose size has no price in the table: the total is too low by their cost. */
  unpriced: string[];
}

const round = (usd: number) => Math.round(usd * 100) / 100;

function hourly(rate: number): number {
  return rate * HOURS_PER_MONTH;
}

function num(value: unknown, fallback: number): number {
  return typeof value === 'number' ? value : typeof value === 'string' && value !== '' ? Number(value) : fallback;
}

type Pricer = (resource: PlannedResource, lookup: (id: unknown) => PlannedResource | undefined) => ResourceCost | string;

function priced<T extends Record<string, number>>(table: T, key: unknown, what: string): number | string {
  const price = typeof key === 'string' ? table[key] : undefined;
  return price ?? `no ${what} price for ${JSON.stringify(key)}`;
}

function volumeGb(device: unknown, fallback = 8): number {
  return num((device as { volumeSize?: unknown } | undefined)?.volumeSize, fallback);
}

/** One pricing rule per resource type that costs money at idle. */
const PRICERS: Record<string, Pricer> = {
  'aws:ec2/instance:Instance': (r) => {
    const rate = priced(PRICES.ec2InstanceHourly, r.inputs['instanceType'], 'EC2');
    if (typeof rate === 'string') return rate;
    const gb = volumeGb(r.inputs['rootBlockDevice']);
    const publicIp = r.inputs['associatePublicIpAddress'] === true;
    return {
      monthlyUsd: hourly(rate) + gb * PRICES.ebsGp3PerGbMonth + (publicIp ? hourly(PRICES.publicIpv4Hourly) : 0),
      basis: `${String(r.inputs['instanceType'])} ${HOURS_PER_MONTH} h + ${gb} GB gp3${publicIp ? ' + public IPv4' : ''}`,
    };
  },
  'aws:autoscaling/group:Group': (r, lookup) => {
    const template = lookup((r.inputs['launchTemplate'] as { id?: unknown } | undefined)?.id);
    if (!template) return 'launch template not found';
    const rate = priced(PRICES.ec2InstanceHourly, template.inputs['instanceType'], 'EC2');
    if (typeof rate === 'string') return rate;
    const mappings = (template.inputs['blockDeviceMappings'] as { ebs?: unknown }[] | undefined) ?? [];
    const gb = mappings.reduce((sum, m) => sum + volumeGb(m.ebs), 0) || 8;
    const running = num(r.inputs['desiredCapacity'], num(r.inputs['minSize'], 1));
    const warm = num((r.inputs['warmPool'] as { minSize?: unknown } | undefined)?.minSize, 0);
    return {
      monthlyUsd: running * (hourly(rate) + gb * PRICES.ebsGp3PerGbMonth) + warm * gb * PRICES.ebsGp3PerGbMonth,
      basis: `${running} × ${String(template.inputs['instanceType'])} + ${gb} GB gp3; warm pool ${warm} stopped (disk only)`,
    };
  },
  'aws:lb/loadBalancer:LoadBalancer': (r) => {
    const azs = Array.isArray(r.inputs['subnets']) ? r.inputs['subnets'].length : 2;
    return {
      monthlyUsd: hourly(PRICES.albHourly) + azs * hourly(PRICES.publicIpv4Hourly),
      basis: `ALB ${HOURS_PER_MONTH} h + ${azs} public IPv4 (LCUs billed with traffic)`,
    };
  },
  'aws:ec2/natGateway:NatGateway': () => ({ monthlyUsd: hourly(PRICES.natGatewayHourly + PRICES.publicIpv4Hourly), basis: 'NAT gateway + public IPv4' }),
  'aws:ec2/vpcEndpoint:VpcEndpoint': (r) => {
    if (r.inputs['vpcEndpointType'] === 'Gateway') return { monthlyUsd: 0, basis: 'gateway endpoint (free)' };
    const azs = Array.isArray(r.inputs['subnetIds']) ? r.inputs['subnetIds'].length : 2;
    return { monthlyUsd: azs * hourly(PRICES.interfaceEndpointHourlyPerAz), basis: `interface endpoint × ${azs} AZ` };
  },
  'aws:rds/instance:Instance': (r) => {
    const rate = priced(PRICES.rdsInstanceHourly, r.inputs['instanceClass'], 'RDS');
    if (typeof rate === 'string') return rate;
    const copies = r.inputs['multiAz'] === true ? 2 : 1;
    const gb = num(r.inputs['allocatedStorage'], 20);
    // The master password's secret, which RDS creates and rotates in Secrets Manager.
    const secret = r.inputs['manageMasterUserPassword'] === true ? PRICES.secretsManagerSecretMonthly : 0;
    return {
      monthlyUsd: copies * (hourly(rate) + gb * PRICES.rdsGp3PerGbMonth) + secret,
      basis: `${String(r.inputs['instanceClass'])}${copies === 2 ? ' Multi-AZ' : ''} + ${gb} GB gp3 (backups up to DB size free)${secret ? ' + managed master secret' : ''}`,
    };
  },
  'aws:lightsail/instance:Instance': (r) => {
    const monthly = priced(PRICES.lightsailInstanceMonthly, r.inputs['bundleId'], 'Lightsail instance');
    return typeof monthly === 'string' ? monthly : { monthlyUsd: monthly, basis: `Lightsail ${String(r.inputs['bundleId'])} (IPv4 included)` };
  },
  'aws:lightsail/database:Database': (r) => {
    const monthly = priced(PRICES.lightsailDatabaseMonthly, r.inputs['bundleId'], 'Lightsail database');
    return typeof monthly === 'string' ? monthly : { monthlyUsd: monthly, basis: `Lightsail database ${String(r.inputs['bundleId'])}` };
  },
  'aws:lightsail/containerService:ContainerService': (r) => {
    const node = priced(PRICES.lightsailContainerNodeMonthly, r.inputs['power'], 'Lightsail container power');
    if (typeof node === 'string') return node;
    const scale = num(r.inputs['scale'], 1);
    return { monthlyUsd: node * scale, basis: `Lightsail containers ${String(r.inputs['power'])} × ${scale}` };
  },
  'aws:wafv2/webAcl:WebAcl': (r) => {
    const rules = Array.isArray(r.inputs['rules']) ? r.inputs['rules'].length : 0;
    return { monthlyUsd: PRICES.wafWebAclMonthly + rules * PRICES.wafRuleMonthly, basis: `web ACL + ${rules} rules (requests billed with traffic)` };
  },
  'aws:cloudwatch/metricAlarm:MetricAlarm': () => ({ monthlyUsd: PRICES.cloudwatchAlarmMonthly, basis: 'standard alarm' }),
  'aws:cloudwatch/dashboard:Dashboard': () => ({ monthlyUsd: PRICES.cloudwatchDashboardMonthly, basis: 'dashboard' }),
  'aws:ssm/parameter:Parameter': (r) => {
    const tier = typeof r.inputs['tier'] === 'string' ? r.inputs['tier'] : 'Standard';
    const monthly = priced(PRICES.ssmParameterMonthly, tier, 'SSM parameter tier');
    return typeof monthly === 'string' ? monthly : { monthlyUsd: monthly, basis: `${tier} ${String(r.inputs['type'])} parameter (standard-throughput reads free)` };
  },
  'aws:scheduler/schedule:Schedule': (r) => {
    const expression = String(r.inputs['scheduleExpression']);
    const runs = runsPerMonth(expression);
    return { monthlyUsd: (runs / 1e6) * PRICES.schedulerPerMillionInvocations, basis: `${expression}: ≤ ${runs} runs a month (14 M free, then $1/M); the run's Lambda time billed with use` };
  },
  'aws:ecr/repository:Repository': () => ({
    monthlyUsd: PRICES.ecrAssumedGbPerRepository * PRICES.ecrStoragePerGbMonth,
    basis: `~${PRICES.ecrAssumedGbPerRepository} GB of kept images`,
  }),
};

/** Runs a month of a Scheduler expression, at most: exact for `rate(...)`, counted field by field for `cron(...)`. */
export function runsPerMonth(expression: string): number {
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  if (rate) {
    const minutes = Number(rate[1]) * { minute: 1, hour: 60, day: 1440 }[rate[2] as 'minute' | 'hour' | 'day'];
    return Math.ceil((HOURS_PER_MONTH * 60) / minutes);
  }
  const fields = /^cron\((.+)\)$/.exec(expression)?.[1]?.split(/\s+/);
  if (fields?.length !== 6) return HOURS_PER_MONTH * 60;
  const [minutes, hours, dayOfMonth, , dayOfWeek] = fields as [string, string, string, string, string, string];
  // A list counts its items; a range or wildcard counts as every value.
  const count = (field: string, every: number) => (/^[\d,A-Z]+$/i.test(field) ? field.split(',').length : every);
  const days = dayOfWeek !== '?' && dayOfWeek !== '*' ? count(dayOfWeek, 7) * 5 : dayOfMonth !== '?' && dayOfMonth !== '*' ? count(dayOfMonth, 31) : 31;
  return count(minutes, 60) * count(hours, 24) * days;
}

export function estimateCost(resources: PlannedResource[]): CostEstimate {
  const byId = new Map(resources.filter((r) => r.id).map((r) => [r.id, r]));
  const lookup = (id: unknown) => (typeof id === 'string' ? byId.get(id) : undefined);
  const byUrn = new Map<string, ResourceCost>();
  const unpriced: string[] = [];
  let total = 0;
  for (const resource of resources) {
    const pricer = PRICERS[resource.type];
    if (!pricer) continue;
    const cost = pricer(resource, lookup);
    if (typeof cost === 'string') {
      unpriced.push(`${resource.name} (${resource.type}): ${cost}`);
      continue;
    }
    const rounded = { ...cost, monthlyUsd: round(cost.monthlyUsd) };
    byUrn.set(resource.urn, rounded);
    total += cost.monthlyUsd;
  }
  return { byUrn, totalUsd: round(total), unpriced };
}

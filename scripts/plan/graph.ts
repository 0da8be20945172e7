import { mockState } from './mocks.ts';
import type { OfflineRun, PlannedResource } from './offline-run.ts';

/** Resource kinds that are boxes in the diagram; everything else (policies, rules, …) is wiring. */
const NODE_LABELS: Record<string, string> = {
  'aws:s3/bucket:Bucket': 'S3',
  'aws:cloudwatch/eventRule:EventRule': 'EventBridge',
  'aws:scheduler/schedule:Schedule': 'Scheduler',
  'aws:lambda/function:Function': 'λ',
  'aws:sqs/queue:Queue': 'SQS',
  'aws:sns/topic:Topic': 'SNS',
  'aws:rds/instance:Instance': 'RDS',
  'aws:lightsail/database:Database': 'Lightsail DB',
  'aws:lightsail/instance:Instance': 'Lightsail host',
  'aws:lightsail/containerService:ContainerService': 'Lightsail containers',
  'aws:cloudfront/distribution:Distribution': 'CloudFront',
  'aws:wafv2/webAcl:WebAcl': 'WAF',
  'aws:lb/loadBalancer:LoadBalancer': 'ALB',
  'aws:autoscaling/group:Group': 'EC2 ASG',
  'aws:ec2/instance:Instance': 'EC2',
  'aws:ecr/repository:Repository': 'ECR',
};

interface Edge {
  from: string;
  to: string;
  label?: string;
}

/** The top-level component a resource belongs to (its subgraph). */
function componentOf(resource: PlannedResource, byUrn: Map<string, PlannedResource>): string {
  let current = resource;
  while (current.parentUrn) {
    const parent = byUrn.get(current.parentUrn);
    if (!parent) break;
    current = parent;
  }
  return current.name;
}

function shortName(name: string, stack: string): string {
  return name.replace(new RegExp(`^svg-marketplace-${stack}-`), '');
}

/** Readable, stable Mermaid ids: `<kind>_<short name>`, e.g. `queue_image_processor`. */
function nodeId(resource: PlannedResource, stack: string): string {
  const kind = resource.type.split('/')[1]?.split(':')[0] ?? resource.type;
  return `${kind}_${shortName(resource.name, stack)}`.replace(/[^A-Za-z0-9]/g, '_');
}

/**
 * A Mermaid flowchart of the stack: components as subgraphs, the resources that carry data as
 * nodes, and edges found in the program's own inputs (event patterns, targets, mappings,
 * environment variables, origins, associations) — so the picture cannot drift from the code.
 */
export function mermaidGraph(run: OfflineRun): string {
  const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
  const idOf = (resource: PlannedResource) => nodeId(resource, run.stack);
  const nodes = run.resources.filter((r) => NODE_LABELS[r.type]);
  // Index every identifier a resource is known by (name, ARN, URL, id) to resolve references.
  const known = new Map<string, PlannedResource>();
  for (const node of nodes) {
    const state = mockState(node.type, node.name, node.inputs, node.region ?? run.region);
    for (const value of [node.name, node.id, state['arn'], state['url'], state['bucket'], state['name'], state['domainName'], state['bucketRegionalDomainName']]) {
      if (typeof value === 'string' && value) known.set(value, node);
    }
    if (typeof state['url'] === 'string') known.set(new URL(state['url']).host, node);
  }
  // Functions by the role they run as, so a role policy can be drawn as the function's edges.
  const roles = run.resources.filter((r) => r.type === 'aws:iam/role:Role');
  const functionByRole = new Map<string, PlannedResource>();
  for (const fn of run.resources.filter((r) => r.type === 'aws:lambda/function:Function')) {
    const role = roles.find((role) => mockState(role.type, role.name, role.inputs, run.region)['arn'] === fn.inputs['role']);
    if (role) functionByRole.set(role.id, fn);
  }
  const find = (value: unknown) => (typeof value === 'string' ? known.get(value) : undefined);
  const edges: Edge[] = [];
  const link = (from: PlannedResource | undefined, to: PlannedResource | undefined, label?: string) => {
    if (from && to && from !== to && nodes.includes(from) && nodes.includes(to)) edges.push({ from: idOf(from), to: idOf(to), ...(label ? { label } : {}) });
  };
  const database = nodes.find((n) => n.type === 'aws:rds/instance:Instance' || n.type === 'aws:lightsail/database:Database');
  const host = nodes.find((n) => n.type === 'aws:lightsail/instance:Instance');

  for (const r of run.resources) {
    const i = r.inputs;
    switch (r.type) {
      case 'aws:cloudwatch/eventRule:EventRule': {
        const pattern = JSON.parse(String(i['eventPattern'] ?? '{}')) as { detail?: { bucket?: { name?: string[] } } };
        for (const bucket of pattern.detail?.bucket?.name ?? []) link(find(bucket), r, 'Object Created');
        break;
      }
      case 'aws:scheduler/schedule:Schedule':
        link(r, find((i['target'] as { arn?: string } | undefined)?.arn), 'invokes');
        break;
      case 'aws:cloudwatch/eventTarget:EventTarget':
        link(find(i['rule']), find(i['arn']));
        break;
      case 'aws:lambda/eventSourceMapping:EventSourceMapping':
        link(find(i['eventSourceArn']), find(i['functionName']), 'batch');
        break;
      case 'aws:lambda/function:Function': {
        const env = ((i['environment'] as { variables?: Record<string, unknown> } | undefined)?.variables ?? {}) as Record<string, unknown>;
        // Dev's functions reach the database through the host's PgBouncer (with a client certificate), not directly.
        if (env['DATABASE_TLS_PARAMETER'] !== undefined) link(r, host, 'PgBouncer');
        else if (env['DATABASE_URL'] !== undefined) link(r, database ?? host);
        break;
      }
      case 'aws:iam/rolePolicy:RolePolicy': {
        // Data flow from what each function may do: reads point in, writes and sends point out.
        const fn = functionByRole.get(String(i['role']));
        const doc = JSON.parse(String(i['policy'] ?? '{}')) as { Statement?: { Action: string[]; Resource: string[] }[] };
        for (const statement of doc.Statement ?? []) {
          for (const arn of statement.Resource) {
            const target = find(arn.replace(/\/.*$/, '').replace(/:\*$/, ''));
            if (!target || target.type === 'aws:cloudwatch/logGroup:LogGroup') continue;
            const reads = statement.Action.some((a) => a === 's3:GetObject' || a === 'sqs:ReceiveMessage');
            if (reads && target.type === 'aws:s3/bucket:Bucket') link(target, fn, 'reads');
            else if (!reads) link(fn, target, statement.Action.includes('s3:PutObject') ? 'writes' : undefined);
          }
        }
        break;
      }
      case 'aws:sqs/queue:Queue': {
        const redrive = i['redrivePolicy'] ? (JSON.parse(String(i['redrivePolicy'])) as { deadLetterTargetArn?: string }) : undefined;
        link(r, find(redrive?.deadLetterTargetArn), 'DLQ');
        break;
      }
      case 'aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig': {
        const destination = (i['destinationConfig'] as { onFailure?: { destination?: string } } | undefined)?.onFailure?.destination;
        link(find(i['functionName']), find(destination), 'failed');
        break;
      }
      case 'aws:cloudfront/distribution:Distribution': {
        for (const origin of (i['origins'] as { domainName?: string }[] | undefined) ?? []) link(r, find(origin.domainName));
        link(find(i['webAclId']), r, 'protects');
        break;
      }
      case 'aws:wafv2/webAclAssociation:WebAclAssociation':
        link(find(i['webAclArn']), find(i['resourceArn']), 'protects');
        break;
      case 'aws:autoscaling/group:Group': {
        const alb = nodes.find((n) => n.type === 'aws:lb/loadBalancer:LoadBalancer');
        link(alb, r, 'HTTPS');
        link(r, database);
        break;
      }
      case 'aws:ec2/instance:Instance':
        if (r.name.endsWith('-logstash')) link(database, r, 'jdbc views');
        break;
      case 'aws:lightsail/instance:Instance':
        if (database) link(r, database);
        break;
      default:
        break;
    }
  }

  const groups = new Map<string, PlannedResource[]>();
  for (const node of nodes) {
    const group = componentOf(node, byUrn);
    groups.set(group, [...(groups.get(group) ?? []), node]);
  }
  const lines = ['flowchart LR'];
  for (const [group, members] of [...groups.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`  subgraph ${group.replace(/[^A-Za-z0-9]/g, '_')}["${shortName(group, run.stack)}"]`);
    for (const node of members.sort((a, b) => a.urn.localeCompare(b.urn))) {
      const region = node.region && node.region !== run.region ? ` · ${node.region}` : '';
      lines.push(`    ${idOf(node)}["${NODE_LABELS[node.type]} ${shortName(node.name, run.stack)}${region}"]`);
    }
    lines.push('  end');
  }
  if (nodes.some((n) => n.name.endsWith('-logstash'))) {
    lines.push('  elastic[("Elastic Cloud")]');
    const logstash = nodes.find((n) => n.name.endsWith('-logstash'));
    if (logstash) edges.push({ from: idOf(logstash), to: 'elastic' });
  }
  const alarms = run.resources.filter((r) => r.type === 'aws:cloudwatch/metricAlarm:MetricAlarm');
  const opsTopic = nodes.find((n) => n.type === 'aws:sns/topic:Topic' && n.name.endsWith('-ops-alarms'));
  if (alarms.length > 0 && opsTopic) {
    lines.push(`  alarms["CloudWatch alarms ×${alarms.length}"]`);
    edges.push({ from: 'alarms', to: idOf(opsTopic) });
  }
  // One arrow per pair; a labelled one wins over an unlabelled duplicate.
  const byPair = new Map<string, Edge>();
  for (const edge of edges) {
    const pair = `${edge.from}->${edge.to}`;
    const existing = byPair.get(pair);
    if (!existing || (!existing.label && edge.label)) byPair.set(pair, edge);
  }
  for (const edge of byPair.values()) lines.push(`  ${edge.from} -->${edge.label ? `|${edge.label}|` : ''} ${edge.to}`);
  return lines.join('\n');
}

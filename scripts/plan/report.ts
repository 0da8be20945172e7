import { estimateCost, type CostEstimate } from './cost.ts';
import type { OfflineRun, PlannedResource } from './offline-run.ts';
import { PRICE_REGION, PRICES_AS_OF } from './prices.ts';

/** The machine-readable plan (`--json`) and the snapshot format `--diff` reads. */
export interface PlanJson {
  stack: string;
  resources: PlanJsonResource[];
  monthlyCostUsd: number;
}

export interface PlanJsonResource {
  type: string;
  name: string;
  /** Name of the parent component; absent for top-level components. */
  parent?: string;
  region?: string;
  monthlyCostUsd?: number;
  /** Inputs as the program set them: what `--diff` compares to report changes. */
  inputs: Record<string, unknown>;
}

export interface Plan {
  run: OfflineRun;
  cost: CostEstimate;
}

export function buildPlan(run: OfflineRun): Plan {
  return { run, cost: estimateCost(run.resources) };
}

/** Secret inputs never reach a snapshot; a change to them still shows as the mask staying equal. */
export const SECRET_MASK = '[secret]';

const nameOf = (urn: string) => urn.split('::').pop() ?? urn;

export function toJson(plan: Plan): PlanJson {
  const resources = [...plan.run.resources]
    .sort((a, b) => a.urn.localeCompare(b.urn))
    .map((r): PlanJsonResource => {
      const cost = plan.cost.byUrn.get(r.urn);
      return {
        type: r.type,
        name: r.name,
        ...(r.parentUrn ? { parent: nameOf(r.parentUrn) } : {}),
        ...(r.region ? { region: r.region } : {}),
        ...(cost ? { monthlyCostUsd: cost.monthlyUsd } : {}),
        inputs: Object.fromEntries(Object.entries(r.inputs).map(([key, value]) => [key, r.secretInputs.includes(key) ? SECRET_MASK : value])),
      };
    });
  return { stack: plan.run.stack, resources, monthlyCostUsd: plan.cost.totalUsd };
}

const usd = (value: number) => `$${value.toFixed(2)}`;

/** Total cost of a resource and everything under it. */
function subtreeCost(urn: string, children: Map<string, PlannedResource[]>, plan: Plan): number {
  const own = plan.cost.byUrn.get(urn)?.monthlyUsd ?? 0;
  return (children.get(urn) ?? []).reduce((sum, child) => sum + subtreeCost(child.urn, children, plan), own);
}

/** The resource tree by component with a cost per resource and per component. */
export function formatTree(plan: Plan): string {
  const { run, cost } = plan;
  const children = new Map<string, PlannedResource[]>();
  const roots: PlannedResource[] = [];
  for (const resource of run.resources) {
    if (!resource.parentUrn) roots.push(resource);
    else children.set(resource.parentUrn, [...(children.get(resource.parentUrn) ?? []), resource]);
  }
  const lines = [`Stack ${run.stack} (${run.region}, config from ${run.configSource.split('/').pop()}) — ${run.resources.length} resources`, ''];
  const walk = (resource: PlannedResource, depth: number) => {
    const own = cost.byUrn.get(resource.urn);
    const isComponent = !resource.custom && !resource.type.startsWith('pulumi:providers:');
    const figure = isComponent ? usd(subtreeCost(resource.urn, children, plan)) : own ? `${usd(own.monthlyUsd)}  ${own.basis}` : '';
    const region = resource.region && resource.region !== run.region ? ` [${resource.region}]` : '';
    lines.push(`${'  '.repeat(depth)}${isComponent ? '▸ ' : '- '}${resource.type} ${resource.name}${region}${figure ? `  ${figure}` : ''}`);
    const sorted = [...(children.get(resource.urn) ?? [])].sort((a, b) => Number(a.custom) - Number(b.custom) || a.type.localeCompare(b.type) || a.name.localeCompare(b.name));
    for (const child of sorted) walk(child, depth + 1);
  };
  for (const root of [...roots].sort((a, b) => a.name.localeCompare(b.name))) walk(root, 0);
  lines.push('', `Estimated monthly cost at idle: ${usd(cost.totalUsd)} (${PRICE_REGION} list prices as of ${PRICES_AS_OF}; usage-billed services excluded)`);
  for (const missing of cost.unpriced) lines.push(`  warning: unpriced ${missing}`);
  return lines.join('\n');
}

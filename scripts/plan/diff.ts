import { isDeepStrictEqual } from 'node:util';
import type { PlanJson, PlanJsonResource } from './report.ts';

export interface PlanDiff {
  added: PlanJsonResource[];
  removed: PlanJsonResource[];
  changed: { before: PlanJsonResource; after: PlanJsonResource; fields: string[] }[];
  costBeforeUsd: number;
  costAfterUsd: number;
}

const keyOf = (r: PlanJsonResource) => `${r.type}::${r.name}`;

/** What changes between a saved plan and a new one, by resource type and name. */
export function diffPlans(before: PlanJson, after: PlanJson): PlanDiff {
  const old = new Map(before.resources.map((r) => [keyOf(r), r]));
  const now = new Map(after.resources.map((r) => [keyOf(r), r]));
  const added = after.resources.filter((r) => !old.has(keyOf(r)));
  const removed = before.resources.filter((r) => !now.has(keyOf(r)));
  const changed: PlanDiff['changed'] = [];
  for (const resource of after.resources) {
    const previous = old.get(keyOf(resource));
    if (!previous) continue;
    const fields = new Set<string>();
    for (const field of ['parent', 'region'] as const) if (previous[field] !== resource[field]) fields.add(field);
    const inputKeys = new Set([...Object.keys(previous.inputs ?? {}), ...Object.keys(resource.inputs ?? {})]);
    for (const key of inputKeys) if (!isDeepStrictEqual(previous.inputs?.[key], resource.inputs?.[key])) fields.add(key);
    if (fields.size > 0) changed.push({ before: previous, after: resource, fields: [...fields].sort() });
  }
  return { added, removed, changed, costBeforeUsd: before.monthlyCostUsd, costAfterUsd: after.monthlyCostUsd };
}

const usd = (value: number) => `$${value.toFixed(2)}`;

/** The text a pull request comment shows. */
export function formatDiff(diff: PlanDiff): string {
  const lines: string[] = [];
  const delta = diff.costAfterUsd - diff.costBeforeUsd;
  lines.push(`Plan diff: ${diff.added.length} to add, ${diff.changed.length} to change, ${diff.removed.length} to remove`);
  for (const r of diff.added) lines.push(`  + ${r.type} ${r.name}${r.monthlyCostUsd ? `  ${usd(r.monthlyCostUsd)}/month` : ''}`);
  for (const c of diff.changed) lines.push(`  ~ ${c.after.type} ${c.after.name}  (${c.fields.join(', ')})`);
  for (const r of diff.removed) lines.push(`  - ${r.type} ${r.name}${r.monthlyCostUsd ? `  -${usd(r.monthlyCostUsd)}/month` : ''}`);
  lines.push(`Monthly cost: ${usd(diff.costBeforeUsd)} → ${usd(diff.costAfterUsd)} (${delta >= 0 ? '+' : '-'}${usd(Math.abs(delta))})`);
  return lines.join('\n');
}

/**
 * Checks on the GitHub workflows beyond the schema: what the delivery issue requires of them.
 * Each returns the problems found, so the tests can also prove a check fails on a broken workflow.
 */
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { parse } from 'yaml';

export interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
export interface Job {
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string> | string;
  concurrency?: { group: string; 'cancel-in-progress'?: boolean | string } | string;
  strategy?: { matrix?: Record<string, unknown> };
  env?: Record<string, unknown>;
  steps?: Step[];
}
export interface Workflow {
  name?: string;
  on: Record<string, unknown>;
  permissions?: Record<string, string> | string;
  jobs: Record<string, Job>;
}

/** GitHub's own parser (the one behind the Actions language service): schema errors and unknown `needs`. */
export async function schemaProblems(fileName: string, content: string): Promise<string[]> {
  const parsed = parseWorkflow({ name: fileName, content }, new NoOperationTraceWriter());
  const problems = parsed.context.errors.getErrors().map((error) => error.message);
  if (parsed.value && problems.length === 0) {
    const template = await convertWorkflowTemplate(parsed.context, parsed.value);
    problems.push(...(template.errors ?? []).map((error) => error.Message));
  }
  return problems;
}

export function readWorkflow(content: string): Workflow {
  return parse(content) as Workflow;
}

const asList = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

export function missingNeeds(workflow: Workflow): string[] {
  return Object.entries(workflow.jobs).flatMap(([id, job]) =>
    asList(job.needs)
      .filter((needed) => !(needed in workflow.jobs))
      .map((needed) => `job ${id} needs unknown job ${needed}`),
  );
}

/** Names used as `${{ secrets.NAME }}` or `${{ vars.NAME }}` anywhere in the file. */
export function referenced(content: string, kind: 'secrets' | 'vars'): Set<string> {
  return new Set([...content.matchAll(new RegExp(`\\b${kind}\\.([A-Za-z_][A-Za-z0-9_]*)`, 'g'))].map((match) => match[1]!));
}

/** Rows `| \`NAME\` | kind | ... |` of the tables in README's Deploying section. */
export function documentedNames(readme: string, kind: 'secret' | 'variable'): Set<string> {
  const section = readme.split(/^## Deploying\s*$/m)[1]?.split(/^## /m)[0] ?? '';
  const names = [...section.matchAll(/^\s*\|\s*`([A-Z][A-Z0-9_]*)`\s*\|\s*(secret|variable)\s*\|/gm)]
    .filter((match) => match[2] === kind)
    .map((match) => match[1]!);
  return new Set(names);
}

const allSteps = (workflow: Workflow): { jobId: string; job: Job; step: Step }[] =>
  Object.entries(workflow.jobs).flatMap(([jobId, job]) => (job.steps ?? []).map((step) => ({ jobId, job, step })));

/**
 * Text an author chooses — a branch name (`a$(curl …|sh)` is a valid one), a title, a body, a label — expanded by
 * `${{ }}` into a `run:` script becomes shell code; through `env:` it is only a value.
 */
const FREE_TEXT = /\bgithub\.(head_ref|ref_name|ref)\b|\bgithub\.event\.[\w.*-]*\b(ref|title|body|label|labels|name|message|email|description|head_commit|commits)\b/;
export function shellInjectionProblems(workflow: Workflow): string[] {
  return allSteps(workflow).flatMap(({ jobId, step }) =>
    [...(step.run ?? '').matchAll(/\$\{\{([^}]*)\}\}/g)]
      .filter((match) => FREE_TEXT.test(match[1]!))
      .map((match) => `${jobId}: ${step.name ?? step.run!.split('\n')[0]}: expands ${match[0]} into the script`),
  );
}

/** OIDC only: every job that assumes an AWS role may mint an id token, and no long-lived key appears anywhere. */
export function credentialProblems(workflow: Workflow, content: string): string[] {
  const problems: string[] = [];
  for (const { jobId, job, step } of allSteps(workflow)) {
    if (!step.uses?.startsWith('aws-actions/configure-aws-credentials@')) continue;
    if (!step.with?.['role-to-assume']) problems.push(`${jobId}: configure-aws-credentials without role-to-assume`);
    if (step.with?.['aws-access-key-id'] || step.with?.['aws-secret-access-key']) problems.push(`${jobId}: long-lived AWS keys passed to configure-aws-credentials`);
    const permissions = typeof job.permissions === 'object' ? job.permissions : typeof workflow.permissions === 'object' ? workflow.permissions : {};
    if (permissions['id-token'] !== 'write') problems.push(`${jobId}: assumes an AWS role without permissions id-token: write`);
  }
  if (/AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/.test(content)) problems.push('mentions AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY');
  return problems;
}

/** The stacks a job covers: its matrix `stack` values, or stacks named in its env. */
export function jobStacks(job: Job): string[] {
  const matrix = job.strategy?.matrix?.['stack'];
  return Array.isArray(matrix) ? matrix.map(String) : [];
}

export function pulumiSteps(workflow: Workflow, command: string): { jobId: string; job: Job; step: Step }[] {
  return allSteps(workflow).filter(({ step }) => step.uses?.startsWith('pulumi/actions@') && step.with?.['command'] === command);
}

/** A deploy or stack-changing job must be in a per-stack concurrency group that never cancels a running update. */
export function concurrencyProblems(workflow: Workflow, jobIds: string[]): string[] {
  return jobIds.flatMap((id) => {
    const concurrency = workflow.jobs[id]?.concurrency;
    if (typeof concurrency !== 'object') return [`${id}: no concurrency group`];
    const problems: string[] = [];
    if (!/stack-/.test(concurrency.group)) problems.push(`${id}: concurrency group "${concurrency.group}" is not per stack`);
    if (concurrency['cancel-in-progress'] !== false) problems.push(`${id}: a running stack update could be cancelled`);
    return problems;
  });
}

/** Output names read by `pulumi stack output <name>` (or the `output <name>` helper of on-hosts.sh). */
export function outputsRead(text: string, apps: readonly string[]): string[] {
  const names = [...text.matchAll(/(?:pulumi stack output|(?<![-\w])output) "?((?:\$\{app\})?[A-Za-z]\w*)/g)].map((m) => m[1]!);
  const actionOutputs = [...text.matchAll(/steps\.up\.outputs\.(\w+)/g)].map((m) => m[1]!);
  return [...new Set([...names, ...actionOutputs].flatMap((name) => (name.includes('${app}') ? apps.map((app) => name.replace('${app}', app)) : [name])))];
}

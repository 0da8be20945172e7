/**
 * The config a Pulumi step of a workflow job runs with, found by replaying the job's steps the
 * way a fresh GitHub runner would: the checkout holds the committed `Pulumi.<stack>.yaml` files
 * and nothing else; `npx tsx scripts/plan/pr-stack.ts` writes a pr-<n> file; `pulumi config set`
 * adds a key; the Pulumi action's `config-map` adds its keys. ESC environments a stack file
 * imports hold what README tells an operator to put there (`esc env set ... pulumiConfig.<key>`).
 * A config command this replay does not know fails the test, so a workflow cannot change how
 * config reaches a stack without this test following.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../infra/bundles.ts';
import { ephemeralStackConfig, readStackFile, stackFile, type StackConfigFile } from '../../../scripts/plan/stack-config.ts';
import { readWorkflow, type Step } from '../../workflows/checks.ts';

export interface GitHubContext {
  /** `${{ github.sha }}` / the PR head commit. */
  sha: string;
  prNumber?: number;
  /** The stack the job targets (its matrix entry or what its STACK env expression yields). */
  stack: string;
}

export interface StepConfig {
  stack: string;
  config: Record<string, string>;
  secretKeys: string[];
  /** Whether `npm run build:functions` ran before the Pulumi step (the program zips its output). */
  builtFunctions: boolean;
  /** The stack file the runner had, and where it came from. */
  stackFileSource: 'committed' | 'pr-stack.ts' | 'none';
}

function substitute(text: string, context: GitHubContext): string {
  return text
    .replaceAll('${{ github.event.pull_request.head.sha }}', context.sha)
    .replaceAll('${{ github.sha }}', context.sha)
    .replaceAll('${{ github.event.pull_request.number }}', String(context.prNumber ?? ''))
    .replaceAll('${{ matrix.stack }}', context.stack);
}

/** What README's Deploying section tells an operator to set in each ESC environment. */
export function documentedEscValues(readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')): Map<string, { key: string; value: string; secret: boolean }[]> {
  const environments = new Map<string, { key: string; value: string; secret: boolean }[]>();
  for (const match of readme.matchAll(/^\s*esc env set \S+?\/([\w-]+\/[\w-]+) pulumiConfig\.(\S+) (\S+)(.*)$/gm)) {
    const [, environment, key, value, rest] = match as unknown as [string, string, string, string, string];
    const list = environments.get(environment) ?? [];
    list.push({ key, value, secret: /--secret\b/.test(rest) });
    environments.set(environment, list);
  }
  return environments;
}

function unquote(word: string): string {
  return word.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
}

/** The config of `jobId`'s first Pulumi action step running `command`, on a fresh runner. */
export function configAtPulumiStep(workflowFile: string, jobId: string, command: string, context: GitHubContext): StepConfig {
  const workflow = readWorkflow(readFileSync(join(REPO_ROOT, '.github', 'workflows', workflowFile), 'utf8'));
  const job = workflow.jobs[jobId];
  if (!job) throw new Error(`${workflowFile} has no job ${jobId}`);
  // A job with a stack matrix runs only those stacks: replaying another would test a step that never runs.
  const matrix = job.strategy?.matrix?.['stack'];
  if (Array.isArray(matrix) && !matrix.map(String).includes(context.stack)) throw new Error(`${workflowFile} ${jobId} does not run for ${context.stack} (matrix: ${matrix.join(', ')})`);
  let file: StackConfigFile | undefined = existsSync(stackFile(context.stack)) ? readStackFile(stackFile(context.stack)) : undefined;
  let stackFileSource: StepConfig['stackFileSource'] = file ? 'committed' : 'none';
  const set: Record<string, { value: string; secret: boolean }> = {};
  let builtFunctions = false;

  const runLine = (line: string) => {
    const words = line.trim().split(/\s+/);
    if (/^npm run (--silent )?build:functions\b/.test(line.trim())) builtFunctions = true;
    const prStack = /npx tsx scripts\/plan\/pr-stack\.ts "?(pr-\d+)"?/.exec(line);
    if (prStack) {
      if (prStack[1] !== context.stack) throw new Error(`${jobId} writes the stack file of ${prStack[1]} but targets ${context.stack}`);
      file = ephemeralStackConfig(context.stack);
      stackFileSource = 'pr-stack.ts';
      return;
    }
    if (words[0] !== 'pulumi' || words[1] !== 'config') {
      if (words[0] === 'pulumi' && words.includes('--copy-config-from')) throw new Error(`${jobId}: config copied once at stack creation is not replayed (it is lost on the next runner)`);
      return;
    }
    if (words[2] !== 'set') throw new Error(`${jobId}: "${line.trim()}" changes config in a way this replay does not model`);
    const args = words.slice(3).filter((word, i, all) => !word.startsWith('--') && !(all[i - 1] === '--stack'));
    const [key, value] = args;
    if (!key || value === undefined) throw new Error(`${jobId}: cannot read "${line.trim()}"`);
    set[unquote(key)] = { value: unquote(value), secret: words.includes('--secret') };
  };

  const steps: Step[] = job.steps ?? [];
  for (const step of steps) {
    if (step.uses?.startsWith('pulumi/actions@') && step.with?.['command'] === command) {
      const configMap = step.with['config-map'];
      if (configMap !== undefined) {
        for (const [key, entry] of Object.entries(JSON.parse(substitute(String(configMap), context)) as Record<string, { value: string; secret?: boolean }>)) {
          set[key] = { value: entry.value, secret: entry.secret === true };
        }
      }
      return assemble(context.stack, file, set, builtFunctions, stackFileSource);
    }
    if (step.if && /failure\(\)/.test(step.if)) continue;
    for (const line of substitute(step.run ?? '', context).split('\n')) runLine(line);
  }
  throw new Error(`${workflowFile} job ${jobId} has no pulumi/actions step running "${command}"`);
}

function assemble(stack: string, file: StackConfigFile | undefined, set: Record<string, { value: string; secret: boolean }>, builtFunctions: boolean, stackFileSource: StepConfig['stackFileSource']): StepConfig {
  const config: Record<string, string> = {};
  const secretKeys = new Set<string>();
  const esc = documentedEscValues();
  for (const environment of file?.environment ?? []) {
    const values = esc.get(environment);
    if (!values) throw new Error(`Pulumi.${stack}.yaml imports ESC environment ${environment}, which README does not say how to fill`);
    for (const { key, value, secret } of values) {
      config[key] = value;
      if (secret) secretKeys.add(key);
    }
  }
  for (const [key, value] of Object.entries(file?.config ?? {})) {
    if (typeof value === 'object' && value !== null && 'secure' in value) throw new Error(`Pulumi.${stack}.yaml holds an encrypted ${key}: only its stack's key decrypts it, a test cannot`);
    config[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  for (const [key, { value, secret }] of Object.entries(set)) {
    config[key] = value;
    if (secret) secretKeys.add(key);
  }
  return { stack, config, secretKeys: [...secretKeys], builtFunctions, stackFileSource };
}

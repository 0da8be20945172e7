/**
 * `npm run plan -- <stack> [--json] [--diff <snapshot.json>] [--graph <file.md>]`
 *
 * Runs the Pulumi program offline under mocks (no CLI, no credentials) and prints the resource
 * tree with an estimated monthly cost, the JSON plan, or the diff against a saved `--json`
 * snapshot — what a pull request shows when no cloud credentials are at hand.
 */
import { Command } from 'commander';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { bundleDirectory } from '../../infra/bundles.ts';
import { BUNDLE_NAMES } from '../../infra/config.ts';
import { RULES } from '../../infra/policy/rules.ts';
import { checkOffline } from './policy-check.ts';
import { diffPlans, formatDiff } from './diff.ts';
import { mermaidGraph } from './graph.ts';
import { runOffline } from './offline-run.ts';
import { buildPlan, formatTree, type PlanJson, toJson } from './report.ts';

const program = new Command()
  .name('plan')
  .argument('<stack>', 'stack name: dev, prod or pr-<n>')
  .option('--json', 'print one JSON object {stack, resources, monthlyCostUsd}')
  .option('--diff <snapshot>', 'compare against a plan saved with --json')
  .option('--graph <file>', 'write a Mermaid diagram of the components to this file ("-" for stdout)')
  .action(async (stack: string, options: { json?: boolean; diff?: string; graph?: string }) => {
    const run = await runOffline(stack);
    const plan = buildPlan(run);
    if (options.graph) {
      const diagram = `\`\`\`mermaid\n${mermaidGraph(run)}\n\`\`\`\n`;
      if (options.graph === '-') process.stdout.write(diagram);
      else writeFileSync(options.graph, diagram);
    }
    if (options.json) {
      process.stdout.write(`${JSON.stringify(toJson(plan), null, 2)}\n`);
    } else if (options.diff) {
      const snapshot = JSON.parse(readFileSync(options.diff, 'utf8')) as PlanJson;
      if (snapshot.stack !== stack) console.error(`note: snapshot is of stack "${snapshot.stack}", comparing with "${stack}"`);
      console.log(formatDiff(diffPlans(snapshot, toJson(plan))));
    } else if (options.graph !== '-') {
      console.log(formatTree(plan));
      const violations = checkOffline(run);
      console.log(violations.length === 0 ? `Policy pack (infra/policy): ${RULES.length} rules, no violations` : `Policy violations:\n${violations.map((v) => `  [${v.rule}] ${v.message}`).join('\n')}`);
      const missing = BUNDLE_NAMES.filter((name) => !existsSync(bundleDirectory(name)));
      if (missing.length > 0) console.log(`Lambda code: placeholder archives for ${missing.join(', ')} — run \`npm run build:functions\` before \`pulumi up\``);
      if (violations.length > 0) process.exitCode = 1;
    }
  });

await program.parseAsync();

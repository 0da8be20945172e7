/**
 * Which steps of a job run when one of them fails: each step's `if` evaluated as the runner does, with
 * GitHub's expression evaluator (@actions/expressions, which @actions/workflow-parser uses). A step without
 * a status function in its `if` runs only while the job succeeds (`success() && (...)`).
 */
import { data, Evaluator, Lexer, Parser } from '@actions/expressions';
import type { Step } from './checks.ts';

export interface Scenario {
  /** The steps that fail, by a pattern their JSON matches. */
  failing: RegExp[];
  /** `steps.<id>.outputs.<name>` values of steps that ran. */
  outputs?: Record<string, Record<string, string>>;
}

type Outcome = 'success' | 'failure' | 'skipped';

/** The name (or run/uses text) of every step that runs, in order. */
export function stepsThatRun(steps: Step[], scenario: Scenario): string[] {
  const outcomes: Record<string, Outcome> = {};
  const ran: string[] = [];
  let failed = false;
  for (const step of steps as (Step & { id?: string })[]) {
    const condition = (step.if ?? 'success()').replace(/^\$\{\{\s*|\s*\}\}$/g, '');
    const withStatus = /\b(success|failure|cancelled|always)\(\)/.test(condition) ? condition : `success() && (${condition})`;
    const runs = evaluate(withStatus, failed, outcomes, scenario.outputs ?? {});
    let outcome: Outcome = 'skipped';
    if (runs) {
      ran.push(step.name ?? step.run ?? step.uses ?? '?');
      outcome = scenario.failing.some((pattern) => pattern.test(JSON.stringify(step))) ? 'failure' : 'success';
      if (outcome === 'failure') failed = true;
    }
    if (step.id) outcomes[step.id] = outcome;
  }
  return ran;
}

function evaluate(condition: string, failed: boolean, outcomes: Record<string, Outcome>, outputs: Record<string, Record<string, string>>): boolean {
  const text = condition
    .replace(/\bsuccess\(\)/g, String(!failed))
    .replace(/\bfailure\(\)/g, String(failed))
    .replace(/\bcancelled\(\)/g, 'false')
    .replace(/\balways\(\)/g, 'true');
  const ids = new Set([...Object.keys(outcomes), ...Object.keys(outputs)]);
  const steps = new data.Dictionary(
    ...[...ids].map((id) => ({
      key: id,
      value: new data.Dictionary(
        { key: 'outcome', value: new data.StringData(outcomes[id] ?? 'skipped') },
        { key: 'conclusion', value: new data.StringData(outcomes[id] ?? 'skipped') },
        { key: 'outputs', value: new data.Dictionary(...Object.entries(outputs[id] ?? {}).map(([key, value]) => ({ key, value: new data.StringData(value) }))) },
      ),
    })),
  );
  const expression = new Parser(new Lexer(text).lex().tokens, ['steps', 'inputs', 'github', 'env'], []).parse();
  const context = new data.Dictionary(
    { key: 'steps', value: steps },
    { key: 'inputs', value: new data.Dictionary() },
    { key: 'github', value: new data.Dictionary() },
    { key: 'env', value: new data.Dictionary() },
  );
  const result = new Evaluator(expression, context).evaluate();
  // GitHub's truthiness: false, 0, '' and null are false; objects and arrays are true.
  if (result.kind === data.Kind.Null) return false;
  if (result.kind === data.Kind.Boolean) return result.coerceString() === 'true';
  if (result.kind === data.Kind.Number) return result.number() !== 0;
  if (result.kind === data.Kind.String) return result.coerceString() !== '';
  return true;
}

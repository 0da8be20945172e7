/**
 * Turns zod issues into problems a contributor can act on. zod's default messages
 * ("Too big: expected string to have <=120 characters") speak to programmers, not to
 * the person who wrote manifest.json, so every issue code gets its own sentence here.
 */
import type { z } from 'zod';
import type { UploadProblem } from '../problems.ts';

export const MANIFEST_FILE = 'manifest.json';

/** `['images', 3, 'file']` → `images[3].file` */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

function quoteList(values: readonly unknown[]): string {
  const quoted = values.map((value) => JSON.stringify(value));
  if (quoted.length <= 1) return quoted.join('');
  return `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
}

function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'text';
  if (typeof value === 'number') return Number.isInteger(value) ? 'a whole number' : 'a number';
  return typeof value;
}

const EXPECTED_TYPE: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
};

function sizeUnit(origin: string, count: number): string {
  if (origin === 'string') return count === 1 ? 'character' : 'characters';
  if (origin === 'array' || origin === 'set') return count === 1 ? 'entry' : 'entries';
  return '';
}

function measure(input: unknown): number | undefined {
  if (typeof input === 'string' || Array.isArray(input)) return input.length;
  return undefined;
}

function messageFor(issue: z.core.$ZodIssue, field: string): string {
  const input = issue.input;
  switch (issue.code) {
    case 'invalid_type': {
      if (input === undefined) return 'is required';
      const expected = EXPECTED_TYPE[issue.expected] ?? issue.expected;
      if (issue.expected === 'int' && typeof input === 'number') {
        return `must be a whole number (got ${input})`;
      }
      return `must be ${expected} (got ${describeJsonType(input)})`;
    }
    case 'too_big': {
      const limit = Number(issue.maximum);
      if (issue.origin === 'number' || issue.origin === 'int') {
        return `must be at most ${limit} (got ${String(input)})`;
      }
      const got = measure(input);
      return `must be at most ${limit} ${sizeUnit(issue.origin, limit)}${got === undefined ? '' : ` (got ${got})`}`;
    }
    case 'too_small': {
      const limit = Number(issue.minimum);
      if (issue.origin === 'number' || issue.origin === 'int') {
        return `must be at least ${limit} (got ${String(input)})`;
      }
      if (limit === 1 && measure(input) === 0) {
        return issue.origin === 'string' ? 'must not be empty' : 'must have at least 1 entry';
      }
      return `must be at least ${limit} ${sizeUnit(issue.origin, limit)} (got ${measure(input) ?? '?'})`;
    }
    case 'invalid_value': {
      if (input === undefined) return 'is required';
      const noun = field.split(/[.[]/).at(-1) || 'value';
      return `${JSON.stringify(input)} is not a ${noun}; use ${quoteList(issue.values)}`;
    }
    case 'invalid_format':
      if (issue.format === 'regex' && typeof input === 'string') {
        return `${JSON.stringify(input)} is not a valid slug; use lower-case letters and digits separated by single hyphens, like "weather-icons"`;
      }
      return `is not in the expected format (${issue.format})`;
    default:
      // Custom checks in the schema already phrase their message for a contributor.
      return issue.message;
  }
}

/** One problem per issue, and one per unknown key (zod groups them). */
export function issuesToProblems(issues: readonly z.core.$ZodIssue[]): UploadProblem[] {
  const problems: UploadProblem[] = [];
  for (const issue of issues) {
    const field = formatFieldPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push(withField({ file: MANIFEST_FILE, message: `unknown field ${JSON.stringify(key)}` }, field));
      }
      continue;
    }
    if (field === '' && issue.code === 'invalid_type') {
      problems.push({ file: MANIFEST_FILE, message: `must hold a JSON object (got ${describeJsonType(issue.input)})` });
      continue;
    }
    problems.push(withField({ file: MANIFEST_FILE, message: messageFor(issue, field) }, field));
  }
  return problems;
}

function withField(problem: UploadProblem, field: string): UploadProblem {
  return field === '' ? problem : { ...problem, field };
}

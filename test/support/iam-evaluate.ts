/**
 * A minimal IAM policy evaluator for tests: one request (action, resource ARN, the request's condition keys)
 * against identity policies and an optional permissions boundary, as AWS decides within one account:
 * an explicit Deny in any of them wins; otherwise the request needs an Allow in the identity policies and,
 * with a boundary, an Allow in the boundary too. It handles what this repository's policies use: Action and
 * NotAction, Resource and NotResource with `*` and `?` wildcards, and the condition operators StringEquals,
 * StringNotEquals, StringLike, StringNotLike, ArnEquals, ArnLike, ArnNotLike and Null (any other throws, so a
 * policy using one is never judged wrongly). Condition keys are single-valued here (no ForAnyValue/ForAllValues).
 */

export interface EvaluatedStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface IamRequest {
  /** `service:Action`. */
  action: string;
  /** The ARN the action is authorised against, `*` for actions with no resource type. */
  resource: string;
  /** Condition keys present in the request, e.g. `aws:ResourceTag/stack`; an absent key is not present. */
  context?: Record<string, string>;
}

export type Decision = 'allow' | 'explicit deny' | 'implicit deny';

const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** IAM's wildcard match: `*` any run of characters (`:` and `/` included), `?` one character. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

/** Action names are case-insensitive; ARNs are not. */
function actionMatches(statement: EvaluatedStatement, action: string): boolean {
  if (statement.Action !== undefined) return list(statement.Action).some((p) => wildcardMatch(p, action, true));
  if (statement.NotAction !== undefined) return !list(statement.NotAction).some((p) => wildcardMatch(p, action, true));
  throw new Error(`statement ${statement.Sid ?? ''} has neither Action nor NotAction`);
}

function resourceMatches(statement: EvaluatedStatement, resource: string): boolean {
  if (statement.Resource !== undefined) return list(statement.Resource).some((p) => wildcardMatch(p, resource));
  if (statement.NotResource !== undefined) return !list(statement.NotResource).some((p) => wildcardMatch(p, resource));
  throw new Error(`statement ${statement.Sid ?? ''} has neither Resource nor NotResource`);
}

/** Condition key names are case-insensitive. */
function contextValue(context: Record<string, string>, key: string): string | undefined {
  const found = Object.keys(context).find((k) => k.toLowerCase() === key.toLowerCase());
  return found === undefined ? undefined : context[found];
}

/**
 * One operator on one key. A positive operator fails on an absent key; a negated one (`...Not...`) holds on it,
 * which is what lets a boundary's "deny unless tagged pr-*" bite an untagged request (AWS's documented behaviour).
 */
function conditionHolds(operator: string, key: string, expected: string[], context: Record<string, string>): boolean {
  const actual = contextValue(context, key);
  const any = (match: (pattern: string, value: string) => boolean) => actual !== undefined && expected.some((e) => match(e, actual));
  const equals = (a: string, b: string) => a === b;
  switch (operator) {
    case 'StringEquals':
    case 'ArnEquals':
      return any(equals);
    case 'StringLike':
    case 'ArnLike':
      return any((p, v) => wildcardMatch(p, v));
    case 'StringNotEquals':
      return actual === undefined || !expected.some((e) => e === actual);
    case 'StringNotLike':
    case 'ArnNotLike':
      return actual === undefined || !expected.some((p) => wildcardMatch(p, actual));
    case 'Null':
      if (expected.length !== 1 || !['true', 'false'].includes(expected[0]!)) throw new Error(`Null takes "true" or "false", got ${JSON.stringify(expected)}`);
      return (actual === undefined) === (expected[0] === 'true');
    default:
      throw new Error(`condition operator ${operator} is not supported by this evaluator`);
  }
}

function statementApplies(statement: EvaluatedStatement, request: IamRequest): boolean {
  if (!actionMatches(statement, request.action) || !resourceMatches(statement, request.resource)) return false;
  const context = request.context ?? {};
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, values]) => conditionHolds(operator, key, list(values), context)),
  );
}

/** The statements of `statements` that apply to the request, by effect. */
function applying(statements: EvaluatedStatement[], request: IamRequest) {
  const matched = statements.filter((s) => statementApplies(s, request));
  return { allows: matched.filter((s) => s.Effect === 'Allow'), denies: matched.filter((s) => s.Effect === 'Deny') };
}

/** AWS's decision for a principal with these identity policies' statements and, optionally, a permissions boundary. */
export function evaluate(request: IamRequest, identity: EvaluatedStatement[], boundary?: EvaluatedStatement[]): Decision {
  const own = applying(identity, request);
  const bounded = boundary ? applying(boundary, request) : undefined;
  if (own.denies.length > 0 || (bounded && bounded.denies.length > 0)) return 'explicit deny';
  if (own.allows.length === 0) return 'implicit deny';
  if (bounded && bounded.allows.length === 0) return 'implicit deny';
  return 'allow';
}

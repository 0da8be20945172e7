/**
 * Every IAM principal a stack creates, flattened to what it may do: one line per allowed action on one
 * resource ("sqs:DeleteMessage on <queue arn>", with its condition), plus who may assume it and the AWS
 * managed policies attached. Resource policies (queue, bucket, Lambda permission) are listed the same way
 * under the resource they guard, with the principal they trust.
 */
import type { OfflineRun, PlannedResource } from '../../scripts/plan/offline-run.ts';

export interface PrincipalPermissions {
  /** Who may assume the role (service principals); empty for users. */
  trustedBy: string[];
  managedPolicies: string[];
  allows: string[];
}

interface PolicyStatement {
  Effect: string;
  Action: string | string[];
  Resource?: string | string[];
  Principal?: Record<string, string | string[]>;
  Condition?: unknown;
}

const list = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function lines(policy: string, withPrincipal: boolean): string[] {
  const statements = (JSON.parse(policy) as { Statement: PolicyStatement[] }).Statement;
  return statements.flatMap((s) =>
    list(s.Action).flatMap((action) =>
      list(s.Resource).map((resource) => {
        const who = withPrincipal && s.Principal ? ` for ${JSON.stringify(s.Principal)}` : '';
        const condition = s.Condition ? ` if ${JSON.stringify(s.Condition)}` : '';
        return `${s.Effect === 'Allow' ? '' : 'DENY '}${action} on ${resource}${who}${condition}`;
      }),
    ),
  );
}

const byType = (run: OfflineRun, type: string) => run.resources.filter((r) => r.type === type);
const input = (r: PlannedResource, key: string) => String(r.inputs[key]);

/** Roles and users by physical name. */
export function principalPermissions(run: OfflineRun): Record<string, PrincipalPermissions> {
  const result: Record<string, PrincipalPermissions> = {};
  const entry = (name: string) => (result[name] ??= { trustedBy: [], managedPolicies: [], allows: [] });
  for (const role of byType(run, 'aws:iam/role:Role')) {
    const trust = JSON.parse(input(role, 'assumeRolePolicy')) as { Statement: PolicyStatement[] };
    entry(input(role, 'name')).trustedBy.push(...trust.Statement.flatMap((s) => list(s.Principal?.['Service'] as string | string[])));
  }
  for (const user of byType(run, 'aws:iam/user:User')) entry(input(user, 'name'));
  for (const policy of byType(run, 'aws:iam/rolePolicy:RolePolicy')) entry(input(policy, 'role').replace(/^role-/, '')).allows.push(...lines(input(policy, 'policy'), false));
  for (const policy of byType(run, 'aws:iam/userPolicy:UserPolicy')) entry(input(policy, 'user')).allows.push(...lines(input(policy, 'policy'), false));
  for (const attachment of byType(run, 'aws:iam/rolePolicyAttachment:RolePolicyAttachment')) entry(input(attachment, 'role')).managedPolicies.push(input(attachment, 'policyArn'));
  for (const p of Object.values(result)) {
    p.allows.sort();
    p.managedPolicies.sort();
  }
  return result;
}

/** Resource policies: who else may act on this stack's queues, buckets and functions. */
export function resourcePolicies(run: OfflineRun): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const policy of [...byType(run, 'aws:sqs/queuePolicy:QueuePolicy'), ...byType(run, 'aws:s3/bucketPolicy:BucketPolicy')]) {
    result[policy.name] = lines(input(policy, 'policy'), true).sort();
  }
  for (const permission of byType(run, 'aws:lambda/permission:Permission')) {
    result[permission.name] = [`${input(permission, 'action')} on ${input(permission, 'function')} for ${input(permission, 'principal')} if source ${input(permission, 'sourceArn')}`];
  }
  return result;
}

import * as pulumi from '@pulumi/pulumi';
import { createHash } from 'node:crypto';

/**
 * AWS name-length limits for the resources this program names. One place, so a new
 * resource kind gets its limit here, not at the call site.
 */
export const NAME_LIMITS = {
  s3Bucket: 63,
  lambdaFunction: 64,
  iamRole: 64,
  sqsQueue: 80,
  snsTopic: 256,
  eventRule: 64,
  logGroup: 512,
  loadBalancer: 32,
  targetGroup: 32,
  rdsIdentifier: 63,
  dbSubnetGroup: 255,
  securityGroup: 255,
  launchTemplate: 128,
  autoScalingGroup: 255,
  wafWebAcl: 128,
  ecrRepository: 256,
  lightsail: 255,
  lightsailContainerService: 63,
  cloudwatchAlarm: 255,
  dashboard: 255,
  ssmParameter: 1011,
  schedule: 64,
  generic: 255,
} as const;

export type NameKind = keyof typeof NAME_LIMITS;

const HASH_LENGTH = 8;

/**
 * Length of the stack's random suffix on globally unique names (S3 buckets): lower-case letters and
 * digits, 36^6 ≈ 2·10^9 values, so two accounts deploying the same project and stack never collide.
 */
export const UNIQUE_SUFFIX_LENGTH = 6;

/**
 * Every physical name is `<project>-<stack>-<name>` (as SST does), lower-cased so it is valid
 * for S3 and Lightsail. When that exceeds the AWS limit, the tail is replaced by a hash of the
 * full name: two long names that share a prefix still differ, so stacks never collide.
 */
export function physicalName(project: string, stack: string, name: string, kind: NameKind = 'generic'): string {
  return withinLimit(`${project}-${stack}-${name}`, NAME_LIMITS[kind]);
}

/**
 * A name that must be unique across every AWS account (S3's bucket namespace is global):
 * `<project>-<stack>-<name>-<suffix>`, the suffix the stack's own random one. The prefix keeps what
 * permission boundaries match (`svg-marketplace-pr-*`); the limit holds with the suffix.
 */
export function uniquePhysicalName(project: string, stack: string, name: string, suffix: string, kind: NameKind = 'generic'): string {
  if (!/^[a-z0-9]+$/.test(suffix)) throw new Error(`unique-name suffix must be lower-case letters and digits, got ${JSON.stringify(suffix)}`);
  return `${withinLimit(`${project}-${stack}-${name}`, NAME_LIMITS[kind] - suffix.length - 1)}-${suffix}`;
}

function withinLimit(name: string, limit: number): string {
  const full = name.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  if (full.length <= limit) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, HASH_LENGTH);
  return `${full.slice(0, limit - HASH_LENGTH - 1).replace(/-+$/, '')}-${hash}`;
}

/** The stacks a bootstrap boundary confines a deployer to: `ephemeral` the `pr-<n>` stacks, `dev` the dev stack. */
export type BoundaryKind = 'ephemeral' | 'dev';

/**
 * The managed policy bounding `pr-<n>` stacks (`<project>-ephemeral-boundary`) or the dev stack
 * (`<project>-dev-boundary`), created once per account by infra/bootstrap: the only grant and the permissions
 * boundary of the role that deploys them (ephemeral, deploy-dev), and the boundary of every role and user those
 * stacks create. Fixed, because the policy names itself (it refuses roles and users without it).
 */
export function stackBoundaryPolicyName(project: string, kind: BoundaryKind): string {
  return `${project}-${kind}-boundary`;
}

/** Binds project and stack once so components only pass the logical name. */
export interface Namer {
  (name: string, kind?: NameKind): string;
  readonly project: string;
  readonly stack: string;
  /** A globally unique physical name: this stack's random suffix appended (`uniquePhysicalName`). */
  unique(name: string, kind?: NameKind): pulumi.Output<string>;
}

/**
 * `suffix` is the stack's random suffix (a `random.RandomString` kept in its state, so it is the
 * same on every run); a namer without one refuses `unique` names.
 */
export function createNamer(project: string, stack: string, suffix?: pulumi.Input<string>): Namer {
  const namer = (name: string, kind: NameKind = 'generic') => physicalName(project, stack, name, kind);
  const unique = (name: string, kind: NameKind = 'generic') => {
    if (suffix === undefined) throw new Error(`no unique-name suffix for ${project}-${stack}: createNamer needs one for ${name}`);
    return pulumi.output(suffix).apply((value) => uniquePhysicalName(project, stack, name, value, kind));
  };
  return Object.assign(namer, { project, stack, unique });
}

/**
 * Options for a resource whose physical name is fixed (ours, not Pulumi's auto-name): a replacement
 * creates the new one under the same name, which AWS refuses while the old one exists, so the old
 * one goes first.
 */
export const FIXED_NAME = { deleteBeforeReplace: true } as const;

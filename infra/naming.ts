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
 * Every physical name is `<project>-<stack>-<name>` (as SST does), lower-cased so it is valid
 * for S3 and Lightsail. When that exceeds the AWS limit, the tail is replaced by a hash of the
 * full name: two long names that share a prefix still differ, so stacks never collide.
 */
export function physicalName(project: string, stack: string, name: string, kind: NameKind = 'generic'): string {
  const full = `${project}-${stack}-${name}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const limit = NAME_LIMITS[kind];
  if (full.length <= limit) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, HASH_LENGTH);
  return `${full.slice(0, limit - HASH_LENGTH - 1).replace(/-+$/, '')}-${hash}`;
}

/** Binds project and stack once so components only pass the logical name. */
export interface Namer {
  (name: string, kind?: NameKind): string;
  readonly project: string;
  readonly stack: string;
}

export function createNamer(project: string, stack: string): Namer {
  const namer = (name: string, kind: NameKind = 'generic') => physicalName(project, stack, name, kind);
  return Object.assign(namer, { project, stack });
}

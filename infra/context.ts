import type * as pulumi from '@pulumi/pulumi';
import type { InfraConfig } from './config.ts';
import { createNamer, type Namer } from './naming.ts';

/** What every component needs from the stack: its config, the naming helper and removal policy. */
export interface StackContext {
  readonly config: InfraConfig;
  readonly name: Namer;
  /** Options for data that a destroy must keep in retained stacks (databases, buckets). */
  readonly dataOptions: Pick<pulumi.CustomResourceOptions, 'retainOnDelete'>;
  /** Tags on every taggable resource, so a bill can be split by stack. */
  readonly tags: Record<string, string>;
}

export function createContext(config: InfraConfig): StackContext {
  return {
    config,
    name: createNamer(config.project, config.stack),
    dataOptions: { retainOnDelete: config.removal === 'retain' },
    tags: { project: config.project, stack: config.stack, 'managed-by': 'pulumi' },
  };
}

export function componentType(name: string): string {
  return `svg-marketplace:infra:${name}`;
}

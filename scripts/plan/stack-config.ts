import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { PROJECT } from '../../infra/config.ts';
import { REPO_ROOT } from '../../infra/bundles.ts';

/** Stand-in for secrets the stack files cannot hold offline (they are encrypted per stack). */
export const OFFLINE_SECRET = 'offline-plan-placeholder';
const OFFLINE_SECRETS: Record<string, string> = {
  [`${PROJECT}:databasePassword`]: OFFLINE_SECRET,
  [`${PROJECT}:elasticsearchUrl`]: `https://elastic:${OFFLINE_SECRET}@search.example.invalid:443`,
};

/**
 * The deploy workflow sets `imageTag` on every deploy (it is not kept in the stack files); offline
 * runs stand in a fixed commit-like tag so plans diff cleanly.
 */
export const OFFLINE_IMAGE_TAG = 'offline-plan';
const OFFLINE_DEFAULTS: Record<string, string> = { [`${PROJECT}:imageTag`]: OFFLINE_IMAGE_TAG };

export interface StackSettings {
  /** Flat `namespace:key` → string, as the Pulumi engine hands config to a program. */
  values: Record<string, string>;
  secretKeys: string[];
  /** The file the settings came from. */
  source: string;
}

/** `pr-<n>` stacks are created with `--copy-config-from dev`, so they read dev's file here too. */
export function stackFile(stack: string, root = REPO_ROOT): string {
  const own = join(root, `Pulumi.${stack}.yaml`);
  if (existsSync(own) || !/^pr-\d+$/.test(stack)) return own;
  return join(root, 'Pulumi.dev.yaml');
}

/**
 * Reads `Pulumi.<stack>.yaml` the way the engine would pass it: structured values as JSON,
 * scalars as strings. Encrypted values and secrets not yet set get a labelled placeholder.
 */
export function readStackSettings(stack: string, overrides: Record<string, unknown> = {}, root = REPO_ROOT): StackSettings {
  const file = stackFile(stack, root);
  if (!existsSync(file)) throw new Error(`No stack file ${file}: create it or pass a known stack (dev, prod, pr-<n>)`);
  const parsed = (parse(readFileSync(file, 'utf8')) ?? {}) as { config?: Record<string, unknown> };
  const values: Record<string, string> = {};
  const secretKeys = new Set<string>();
  const entries = { ...(parsed.config ?? {}), ...overrides };
  for (const [key, value] of Object.entries(entries)) {
    if (value === undefined) continue;
    if (isSecure(value)) {
      values[key] = OFFLINE_SECRETS[key] ?? OFFLINE_SECRET;
      secretKeys.add(key);
    } else {
      values[key] = typeof value === 'string' ? value : JSON.stringify(value);
    }
  }
  for (const [key, value] of Object.entries(OFFLINE_DEFAULTS)) {
    if (!(key in values)) values[key] = value;
  }
  for (const [key, placeholder] of Object.entries(OFFLINE_SECRETS)) {
    if (!(key in values)) values[key] = placeholder;
    secretKeys.add(key);
  }
  return { values, secretKeys: [...secretKeys], source: file };
}

function isSecure(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'secure' in value;
}

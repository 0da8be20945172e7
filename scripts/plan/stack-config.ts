import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { EPHEMERAL_STACK, PROJECT } from '../../infra/config.ts';
import { REPO_ROOT } from '../../infra/bundles.ts';

/** Stand-in for secrets the stack files cannot hold offline (they live in ESC environments or are encrypted per stack). */
export const OFFLINE_SECRET = 'offline-plan-placeholder';
const OFFLINE_SECRETS: Record<string, string> = {
  [`${PROJECT}:elasticsearchUrl`]: `https://elastic:${OFFLINE_SECRET}@search.example.invalid:443`,
};

/**
 * The deploy workflow sets `imageTag` on every deploy (it is not kept in the stack files); offline
 * runs stand in a fixed commit-like tag so plans diff cleanly.
 */
export const OFFLINE_IMAGE_TAG = 'offline-plan';
const OFFLINE_DEFAULTS: Record<string, string> = { [`${PROJECT}:imageTag`]: OFFLINE_IMAGE_TAG };

/** The stack whose settings every `pr-<n>` stack runs with. */
export const EPHEMERAL_TEMPLATE_STACK = 'dev';

/** A `Pulumi.<stack>.yaml` as Pulumi reads it: ESC environments it imports, and its own config. */
export interface StackConfigFile {
  environment?: string[];
  config?: Record<string, unknown>;
}

export interface StackSettings {
  /** Flat `namespace:key` → string, as the Pulumi engine hands config to a program. */
  values: Record<string, string>;
  secretKeys: string[];
  /** The file the settings came from. */
  source: string;
  /** ESC environments the stack file imports (their values are not readable offline). */
  environments: string[];
}

export function stackFile(stack: string, root = REPO_ROOT): string {
  return join(root, `Pulumi.${stack}.yaml`);
}

export function readStackFile(path: string): StackConfigFile {
  return (parse(readFileSync(path, 'utf8')) ?? {}) as StackConfigFile;
}

function isSecure(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'secure' in value;
}

/**
 * The stack file of an ephemeral `pr-<n>` stack: dev's ESC environments and settings, written on
 * every run of the ephemeral workflow (`npx tsx scripts/plan/pr-stack.ts pr-<n>`), because a
 * runner starts without the file and the Pulumi Cloud backend does not keep it. `imageTag` is set
 * after it by the same step. Encrypted values cannot be copied (they are encrypted for dev's key):
 * secrets both stacks need belong in an ESC environment that dev's file imports.
 */
export function ephemeralStackConfig(stack: string, root = REPO_ROOT): StackConfigFile {
  if (!EPHEMERAL_STACK.test(stack)) throw new Error(`"${stack}" is not an ephemeral stack name (pr-<n>)`);
  const template = readStackFile(stackFile(EPHEMERAL_TEMPLATE_STACK, root));
  const encrypted = Object.entries(template.config ?? {}).filter(([, value]) => isSecure(value)).map(([key]) => key);
  if (encrypted.length > 0) {
    throw new Error(
      `Pulumi.${EPHEMERAL_TEMPLATE_STACK}.yaml holds encrypted values (${encrypted.join(', ')}) that only ${EPHEMERAL_TEMPLATE_STACK} can decrypt: ` +
        `move them to an ESC environment and import it with "environment:" in Pulumi.${EPHEMERAL_TEMPLATE_STACK}.yaml, so ${stack} imports it too`,
    );
  }
  return { ...(template.environment ? { environment: [...template.environment] } : {}), config: { ...(template.config ?? {}) } };
}

/** `Pulumi.pr-<n>.yaml` text, as the ephemeral workflow writes it. */
export function ephemeralStackFileText(stack: string, root = REPO_ROOT): string {
  return `# Written by scripts/plan/pr-stack.ts from Pulumi.${EPHEMERAL_TEMPLATE_STACK}.yaml on every run; do not edit.\n${stringify(ephemeralStackConfig(stack, root))}`;
}

/**
 * Reads `Pulumi.<stack>.yaml` (or the given file contents) the way the engine would pass it:
 * structured values as JSON, scalars as strings. Encrypted values and secrets not yet set get a
 * labelled placeholder. A stack without a file is refused: guessing its config would hide
 * exactly the missing settings a real run would fail on.
 */
export function readStackSettings(stack: string, overrides: Record<string, unknown> = {}, root = REPO_ROOT, file?: StackConfigFile): StackSettings {
  const path = stackFile(stack, root);
  if (!file && !existsSync(path)) {
    const hint = EPHEMERAL_STACK.test(stack)
      ? ` ${stack} gets it from dev's on every run: npx tsx scripts/plan/pr-stack.ts ${stack}`
      : ' Create it (pulumi stack init, then pulumi config set) or name a stack that has one.';
    throw new Error(`No config for stack "${stack}": ${path} does not exist.${hint}`);
  }
  const parsed = file ?? readStackFile(path);
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
  return { values, secretKeys: [...secretKeys], source: file ? `${path} (generated)` : path, environments: parsed.environment ?? [] };
}

/**
 * `npx tsx scripts/plan/build-policy.ts` bundles the CrossGuard pack (infra/policy/index.ts and
 * rules.ts) into `infra/policy/dist/index.cjs`, the entry its package.json names. The CLI's policy
 * host registers ts-node with type-checking and `require`s the pack, which rejects the `.ts`
 * import specifiers the rest of the repository uses; plain JavaScript loads as it is.
 */
import { build } from 'esbuild';
import { join } from 'node:path';
import { REPO_ROOT } from '../../infra/bundles.ts';

export const POLICY_PACK_DIR = join(REPO_ROOT, 'infra', 'policy');
export const POLICY_PACK_ENTRY = join(POLICY_PACK_DIR, 'dist', 'index.cjs');

export async function buildPolicyPack(): Promise<string> {
  await build({
    entryPoints: [join(POLICY_PACK_DIR, 'index.ts')],
    outfile: POLICY_PACK_ENTRY,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // The policy host's own SDK: one copy, resolved from node_modules as the CLI expects.
    external: ['@pulumi/policy', '@pulumi/pulumi'],
    logLevel: 'warning',
  });
  return POLICY_PACK_ENTRY;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(`wrote ${await buildPolicyPack()}`);

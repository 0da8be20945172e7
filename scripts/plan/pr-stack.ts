/**
 * `npx tsx scripts/plan/pr-stack.ts pr-<n>` writes `Pulumi.pr-<n>.yaml` from dev's stack file.
 * The ephemeral workflow runs it on every push (a fresh runner has no stack file, and the Pulumi
 * Cloud backend keeps none), then sets `imageTag`; see ephemeralStackConfig.
 */
import { writeFileSync } from 'node:fs';
import { ephemeralStackFileText, stackFile } from './stack-config.ts';

const stack = process.argv[2];
if (!stack) {
  console.error('usage: pr-stack.ts pr-<n>');
  process.exit(2);
}
writeFileSync(stackFile(stack), ephemeralStackFileText(stack));
console.log(`wrote ${stackFile(stack)}`);

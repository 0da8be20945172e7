/**
 * Run-wide teardown for shared test resources (a database cluster, an emulator):
 * a harness registers its stop function when it first starts something, and the
 * mocha root `afterAll` hook (hooks.ts) runs them, newest first. Runs that never
 * start anything load nothing heavy.
 */
type Teardown = () => Promise<void>;

const teardowns: Teardown[] = [];

export function onTeardown(teardown: Teardown): void {
  if (!teardowns.includes(teardown)) teardowns.push(teardown);
}

/** Runs every registered teardown even when one fails; rethrows the first failure. */
export async function runTeardowns(): Promise<void> {
  const failures: unknown[] = [];
  for (const teardown of teardowns.splice(0).reverse()) {
    await teardown().catch((error: unknown) => failures.push(error));
  }
  if (failures.length > 0) throw failures[0];
}

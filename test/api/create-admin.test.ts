import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { freshDatabase } from '../support/postgres.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');

function runCli(args: string[], env: Record<string, string>, stdin: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'app/api/admin/create-admin.ts', ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out }));
    child.stdin.end(stdin);
  });
}

describe('npm run admin:create', function () {
  this.timeout(60_000);

  it('creates an admin from a password on stdin, and refuses a weak one', async () => {
    const { db, connectionString, destroy } = await freshDatabase();
    try {
      const weak = await runCli(['ops@example.test', 'Ops'], { DATABASE_URL: connectionString }, 'short\n');
      expect(weak.code).to.equal(1);
      expect(weak.out).to.match(/at least 12 characters/);

      const created = await runCli(['ops@example.test', 'Ops Team'], { DATABASE_URL: connectionString }, 'a long admin password\n');
      expect(created.code, created.out).to.equal(0);
      const row = await db
        .selectFrom('accounts' as never)
        .select(['role' as never, 'displayName' as never])
        .where('email' as never, '=', 'ops@example.test' as never)
        .executeTakeFirstOrThrow();
      expect(row).to.deep.equal({ role: 'admin', displayName: 'Ops Team' });
    } finally {
      await destroy();
    }
  });
});

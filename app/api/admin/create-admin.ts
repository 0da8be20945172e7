/**
 * `npm run admin:create -- <email> <display name>`: creates an admin account (admins are never signed
 * up over HTTP). The password is read from standard input (or ADMIN_PASSWORD), never from arguments,
 * so it stays out of shell history and process lists. Needs DATABASE_URL.
 */
import { Command } from 'commander';
import { z } from 'zod';
import { createDb } from '../../../core/catalog/index.ts';
import { createAccount } from '../auth/accounts.ts';
import { apiDb } from '../tables.ts';

const input = z.object({
  DATABASE_URL: z.string().startsWith('postgres', 'must be a postgres:// connection string'),
  email: z.email(),
  displayName: z.string().trim().min(1).max(80),
  password: z.string().min(12, 'must be at least 12 characters').max(256),
});

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

const program = new Command()
  .name('npm run admin:create --')
  .description('Create an admin account; the password comes from stdin or ADMIN_PASSWORD')
  .argument('<email>')
  .argument('<display name>')
  .action(async (email: string, displayName: string) => {
    const parsed = input.safeParse({
      DATABASE_URL: process.env.DATABASE_URL,
      email,
      displayName,
      password: process.env.ADMIN_PASSWORD ?? (await readStdin()),
    });
    if (!parsed.success) throw new Error(z.prettifyError(parsed.error));
    const db = createDb(parsed.data.DATABASE_URL, { max: 1 });
    try {
      const account = await createAccount(apiDb(db), { ...parsed.data, role: 'admin' });
      console.log(`admin ${account.email} created (${account.id})`);
    } finally {
      await db.destroy();
    }
  });

program
  .parseAsync()
  .catch((error: Error) => {
    console.error(`admin:create: ${error.message}`);
    process.exitCode = 1;
  })
  .finally(() => process.exit(process.exitCode ?? 0));

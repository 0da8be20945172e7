import { expect } from 'chai';
import { sql } from 'kysely';
import { databasePasswordSource } from '../../core/catalog/credentials.ts';
import { createDb } from '../../core/catalog/index.ts';
import { freshDatabase, type FreshDatabase } from '../support/postgres.ts';
import { startSecretsStandIn, type SecretsStandIn } from '../support/secrets-standin.ts';

/**
 * Hostile review 3 (REVIEW3.md, finding 4): a rotation (`databaseLoginRotation`) as a warm function lives
 * through it. Its password is cached for PASSWORD_CACHE_SECONDS; `pulumi up` writes the new one to the
 * parameter, then the deploy's logins step gives it to PostgreSQL. A connection the function opens after
 * that must not be refused for the five minutes its cache still holds the old password.
 */
describe('a warm component through a password rotation (hostile review 3)', function () {
  this.timeout(60_000);
  const role = `rotation_review_${process.pid}`;
  const parameter = '/svg-marketplace/dev/database/pipeline-password';
  const first = 'Generation-One-Password-0123456789';
  const second = 'Generation-Two-Password-0123456789';
  let fresh: FreshDatabase;
  let standIn: SecretsStandIn;

  before(async () => {
    fresh = await freshDatabase();
    standIn = await startSecretsStandIn();
    await sql`create role ${sql.id(role)} login password ${sql.lit(first)}`.execute(fresh.db);
  });
  after(async () => {
    await standIn?.close();
    await sql`drop role if exists ${sql.id(role)}`.execute(fresh.db);
    await fresh?.destroy();
  });

  it('a connection opened after the logins step logs in with the new password, though the old one is cached', async () => {
    standIn.parameters.set(parameter, first);
    const url = new URL(fresh.connectionString);
    url.username = role;
    url.password = '';
    const env = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_ENDPOINT_URL_SSM: standIn.endpoint };
    const password = databasePasswordSource({ DATABASE_URL: url.toString(), DATABASE_PASSWORD_PARAMETER: parameter }, env);
    const db = createDb(url.toString(), { max: 2, password });
    try {
      await db.connection().execute(async (held) => {
        await sql`select 1`.execute(held);
        // The deploy: pulumi up writes the parameter, the logins step sets the database's password.
        standIn.parameters.set(parameter, second);
        await sql`alter role ${sql.id(role)} password ${sql.lit(second)}`.execute(fresh.db);
        // A second connection while the first is busy: a new login.
        const other = await db.connection().execute((c) => sql<{ user: string }>`select current_user as user`.execute(c)).then(
          (r) => r.rows[0]!.user,
          (error: Error) => error.message,
        );
        expect(other).to.equal(role);
      });
    } finally {
      await db.destroy();
    }
  });
});

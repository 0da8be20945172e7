import { expect } from 'chai';
import { sql, type Kysely } from 'kysely';
import { ensureComponentLogin } from '../../core/catalog/component-logins.ts';
import { createDb } from '../../core/catalog/index.ts';
import { freshDatabase, type FreshDatabase } from '../support/postgres.ts';

/**
 * Hostile review 3 (REVIEW3.md, finding 6): the pipeline is the component that opens contributors' zips and
 * renders their SVGs, so the one most likely to run an attacker's code. Its login may change what its work
 * changes (status, sizes, keys, progress) and nothing that decides who is paid, what a set costs, whether it
 * is published, or whether the catalog exists.
 */
describe('the pipeline login cannot redirect sales or erase the catalog (hostile review 3)', function () {
  this.timeout(60_000);
  const user = `pipeline_review_${process.pid}`;
  const password = 'Pipeline-Review-0123456789';
  let fresh: FreshDatabase;
  let pipeline: Kysely<unknown>;
  const attempt = (text: string) =>
    sql.raw(text).execute(pipeline).then(
      () => 'allowed',
      (error: Error) => error.message,
    );

  before(async () => {
    fresh = await freshDatabase();
    await ensureComponentLogin(fresh.db, { component: 'pipeline', user, password });
    const url = new URL(fresh.connectionString);
    url.username = user;
    url.password = password;
    pipeline = createDb(url.toString(), { max: 1 }) as unknown as Kysely<unknown>;
  });
  after(async () => {
    await pipeline?.destroy();
    await sql`drop role if exists ${sql.id(user)}`.execute(fresh.db);
    await fresh?.destroy();
  });

  it('refuses to change a set’s owner, price, licence or publication, or an upload’s or family’s owner', async () => {
    for (const column of ['contributor_id', 'price_cents', 'currency', 'license', 'published']) {
      expect(await attempt(`update products set ${column} = ${column} where false`), column).to.equal('permission denied for table products');
    }
    expect(await attempt('update uploads set contributor_id = contributor_id where false')).to.equal('permission denied for table uploads');
    expect(await attempt('update families set contributor_id = contributor_id where false')).to.equal('permission denied for table families');
  });

  it('refuses to delete sets, families, uploads or images', async () => {
    for (const table of ['products', 'families', 'uploads', 'images']) {
      expect(await attempt(`delete from ${table} where false`), table).to.equal(`permission denied for table ${table}`);
    }
  });

  it('finding 7: reads contributors’ names (for the set summaries its writes refresh), not their e-mail addresses', async () => {
    expect(await attempt('select email from contributors')).to.equal('permission denied for table contributors');
    expect(await attempt('select * from contributors')).to.equal('permission denied for table contributors');
    expect(await attempt('select id, slug, display_name from contributors')).to.equal('allowed');
  });

  it('still changes what processing changes', async () => {
    expect(await attempt(`update products set status = status, zip_key = zip_key, updated_at = now() where false`)).to.equal('allowed');
    expect(await attempt(`delete from renditions where false`)).to.equal('allowed');
  });
});

import { expect } from 'chai';
import { sql, type Kysely } from 'kysely';
import { createApiDb, StatementNames } from '../../app/api/database.ts';
import type { Database } from '../../core/catalog/index.ts';
import { freshDatabase, type FreshDatabase } from '../support/postgres.ts';

describe('api database pool', () => {
  describe('StatementNames', () => {
    it('names each read text once, the same name every time', () => {
      const names = new StatementNames(10);
      const first = names.nameFor('select * from products where id = $1');
      expect(first).to.be.a('string');
      expect(names.nameFor('select * from products where id = $1')).to.equal(first);
      expect(names.nameFor('with x as (select 1) select * from x')).to.be.a('string').and.not.equal(first);
    });

    it('leaves writes unprepared', () => {
      const names = new StatementNames(10);
      expect(names.nameFor('insert into contributors (slug) values ($1)')).to.equal(undefined);
      expect(names.nameFor('update products set title = $1')).to.equal(undefined);
      expect(names.size).to.equal(0);
    });

    it('stops naming new texts at its capacity, and keeps the names it gave', () => {
      const names = new StatementNames(2);
      const a = names.nameFor('select 1');
      const b = names.nameFor('select 2');
      expect(names.nameFor('select 3')).to.equal(undefined);
      expect([names.nameFor('select 1'), names.nameFor('select 2')]).to.deep.equal([a, b]);
    });
  });

  describe('createApiDb', () => {
    let database: FreshDatabase;
    let db: Kysely<Database>;

    before(async () => {
      database = await freshDatabase();
      // One connection, so the server-side statements seen below are this pool's.
      db = createApiDb(database.connectionString, { max: 1 });
    });
    after(async () => {
      await db.destroy();
      await database.destroy();
    });

    const prepared = async () =>
      (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(db)).rows.map((row) => row.statement);

    it('runs reads as server-side prepared statements, with the right rows for each set of values', async () => {
      const query = (slug: string) => db.selectFrom('contributors').select('slug').where('slug', '=', slug);
      const contributor = (slug: string) => query(slug).execute();
      await db.insertInto('contributors').values({ slug: 'ada', displayName: 'Ada', email: 'ada@example.test' }).execute();
      await db.insertInto('contributors').values({ slug: 'bob', displayName: 'Bob', email: 'bob@example.test' }).execute();
      expect(await contributor('ada')).to.deep.equal([{ slug: 'ada' }]);
      expect(await contributor('bob')).to.deep.equal([{ slug: 'bob' }]);
      expect(await contributor('eve')).to.deep.equal([]);
      const statements = await prepared();
      const text = query('x').compile().sql;
      expect(statements.filter((statement) => statement === text)).to.have.length(1);
      expect(statements.some((statement) => statement.startsWith('insert'))).to.equal(false);
    });

    it('keeps transactions working (writes unprepared, reads prepared inside them)', async () => {
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('contributors').set({ displayName: 'Ada L.' }).where('slug', '=', 'ada').execute();
        expect(await trx.selectFrom('contributors').select('displayName').where('slug', '=', 'ada').executeTakeFirst()).to.deep.equal({
          displayName: 'Ada L.',
        });
      });
      expect((await db.selectFrom('contributors').select('displayName').where('slug', '=', 'ada').executeTakeFirst())?.displayName).to.equal(
        'Ada L.',
      );
    });
  });
});

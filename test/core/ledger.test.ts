/** The selling ledger on real PostgreSQL: it always balances, is append-only, and yields contributor balances. */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { createContributor } from '../../core/catalog/index.ts';
import { commissionSplit, contributorBalances, recordPayout, trialBalance } from '../../core/selling/ledger.ts';
import { sellingDb, type SellingDb } from '../../core/selling/schema.ts';
import { freshDatabase, type FreshDatabase } from '../support/postgres.ts';

describe('selling ledger', () => {
  let fresh: FreshDatabase;
  let db: SellingDb;
  let contributorId: string;

  before(async () => {
    fresh = await freshDatabase();
    db = sellingDb(fresh.db);
    contributorId = (await createContributor(fresh.db, { slug: 'ledger-studio', displayName: 'Ledger Studio', email: 'ledger@example.test' })).id;
  });

  after(async () => {
    await fresh?.destroy();
  });

  async function newPayout(amountCents: number) {
    return db
      .insertInto('payouts')
      .values({ runId: randomUUID(), contributorId, stripeAccountId: 'acct_test1', currency: 'USD', amountCents, status: 'failed', failure: 'test' })
      .returning('id')
      .executeTakeFirstOrThrow();
  }

  it('splits a price by the commission in whole cents, half up, the contributor getting the rest', () => {
    expect(commissionSplit(900, 30)).to.deep.equal({ platformCents: 270, contributorCents: 630 });
    expect(commissionSplit(999, 30)).to.deep.equal({ platformCents: 300, contributorCents: 699 });
    expect(commissionSplit(5, 10)).to.deep.equal({ platformCents: 1, contributorCents: 4 });
    expect(commissionSplit(1, 12.5)).to.deep.equal({ platformCents: 0, contributorCents: 1 });
    expect(commissionSplit(2900, 0)).to.deep.equal({ platformCents: 0, contributorCents: 2900 });
    expect(() => commissionSplit(10.5, 30)).to.throw(RangeError);
    expect(() => commissionSplit(100, 101)).to.throw(RangeError);
  });

  it('refuses to commit a transaction whose entries do not sum to zero', async () => {
    const payout = await newPayout(500);
    const attempt = db.transaction().execute(async (trx) => {
      const { id } = await trx
        .insertInto('ledgerTransactions')
        .values({ kind: 'payout', currency: 'USD', payoutId: payout.id, orderId: null, refundId: null })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx.insertInto('ledgerEntries').values({ transactionId: id, ledgerAccount: 'contributor_payable', contributorId, amountCents: 500 }).execute();
      await trx.insertInto('ledgerEntries').values({ transactionId: id, ledgerAccount: 'stripe_balance', contributorId: null, amountCents: -499 }).execute();
    });
    const error = await attempt.then(() => null, (e: Error) => e);
    expect(error?.message).to.match(/ledger transaction [0-9a-f-]{36} does not balance: entries sum to 1 cents/);
    expect(await db.selectFrom('ledgerTransactions').select('id').where('payoutId', '=', payout.id).execute()).to.deep.equal([]);
  });

  it('commits balanced entries inserted one at a time (checked at commit, not per row)', async () => {
    const payout = await newPayout(700);
    await db.transaction().execute((trx) => recordPayout(trx, { id: payout.id, contributorId, currency: 'USD', amountCents: 700 }));
    expect(await trialBalance(db)).to.deep.equal({ USD: 0 });
    expect(await contributorBalances(db, contributorId)).to.deep.equal([{ contributorId, currency: 'USD', balanceCents: -700 }]);
  });

  it('is append-only: entries and transactions can be neither changed nor deleted', async () => {
    const update = await sql`update ledger_entries set amount_cents = amount_cents * 2`.execute(db).then(() => null, (e: Error) => e);
    expect(update?.message).to.equal('ledger_entries is append-only');
    const remove = await sql`delete from ledger_transactions`.execute(db).then(() => null, (e: Error) => e);
    expect(remove?.message).to.equal('ledger_transactions is append-only');
  });

  it('keeps payable entries tied to a contributor and nothing else', async () => {
    const payout = await newPayout(100);
    const error = await db
      .transaction()
      .execute(async (trx) => {
        const { id } = await trx
          .insertInto('ledgerTransactions')
          .values({ kind: 'payout', currency: 'USD', payoutId: payout.id, orderId: null, refundId: null })
          .returning('id')
          .executeTakeFirstOrThrow();
        await trx.insertInto('ledgerEntries').values([
          { transactionId: id, ledgerAccount: 'contributor_payable', contributorId: null, amountCents: 100 },
          { transactionId: id, ledgerAccount: 'stripe_balance', contributorId: null, amountCents: -100 },
        ]).execute();
      })
      .then(() => null, (e: Error) => e);
    expect(error?.message).to.contain('ledger_entries_contributor_iff_payable');
  });
});

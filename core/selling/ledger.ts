/**
 * The double-entry ledger: every sale, refund and payout is one transaction whose entries sum to zero
 * (debits positive, credits negative; the database refuses to commit one that does not balance).
 * - sale:   debit stripe_balance (what the buyer paid), credit platform_revenue (commission) and
 *           contributor_payable (the contributor's share);
 * - refund: the sale's entries reversed;
 * - payout: debit contributor_payable, credit stripe_balance (a Connect transfer left the platform).
 * A contributor's balance is what the platform owes them: minus the sum of their payable entries.
 */
import { sql, type Transaction } from 'kysely';
import type { LedgerAccount, SellingDatabase, SellingDb } from './schema.ts';

export interface Split {
  platformCents: number;
  contributorCents: number;
}

/** The platform's commission of a price, rounded to the cent (half up); the contributor gets the rest. */
export function commissionSplit(priceCents: number, commissionPercent: number): Split {
  if (!Number.isSafeInteger(priceCents) || priceCents < 0) throw new RangeError(`price must be whole cents, got ${priceCents}`);
  if (!(commissionPercent >= 0 && commissionPercent <= 100)) throw new RangeError(`commission must be 0–100 %, got ${commissionPercent}`);
  // Basis points in integers: 30 % of 999 cents is 299.7, rounded to 300 without float drift.
  const platformCents = Math.floor((priceCents * Math.round(commissionPercent * 100) + 5_000) / 10_000);
  return { platformCents, contributorCents: priceCents - platformCents };
}

interface Entry {
  account: LedgerAccount;
  contributorId?: string;
  amountCents: number;
}

interface SaleItem extends Split {
  contributorId: string;
}

type Trx = Transaction<SellingDatabase>;

async function write(
  trx: Trx,
  transaction: { kind: 'sale' | 'refund' | 'payout'; currency: string; orderId?: string; refundId?: string; payoutId?: string },
  entries: Entry[],
): Promise<string> {
  const { id } = await trx
    .insertInto('ledgerTransactions')
    .values({
      kind: transaction.kind,
      currency: transaction.currency,
      orderId: transaction.orderId ?? null,
      refundId: transaction.refundId ?? null,
      payoutId: transaction.payoutId ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const rows = entries
    .filter((entry) => entry.amountCents !== 0)
    .map((entry) => ({ transactionId: id, ledgerAccount: entry.account, contributorId: entry.contributorId ?? null, amountCents: entry.amountCents }));
  if (rows.length > 0) await trx.insertInto('ledgerEntries').values(rows).execute();
  return id;
}

function saleEntries(items: SaleItem[]): Entry[] {
  const total = items.reduce((sum, item) => sum + item.platformCents + item.contributorCents, 0);
  return [
    { account: 'stripe_balance', amountCents: total },
    { account: 'platform_revenue', amountCents: -items.reduce((sum, item) => sum + item.platformCents, 0) },
    ...items.map((item) => ({ account: 'contributor_payable' as const, contributorId: item.contributorId, amountCents: -item.contributorCents })),
  ];
}

export function recordSale(trx: Trx, order: { id: string; currency: string }, items: SaleItem[]): Promise<string> {
  return write(trx, { kind: 'sale', currency: order.currency, orderId: order.id }, saleEntries(items));
}

/** Reverses the order's sale transaction entry by entry. */
export async function recordRefund(trx: Trx, refund: { id: string; orderId: string }): Promise<string> {
  const sale = await trx
    .selectFrom('ledgerTransactions as t')
    .innerJoin('ledgerEntries as e', 'e.transactionId', 't.id')
    .select(['t.currency', 'e.ledgerAccount', 'e.contributorId', 'e.amountCents'])
    .where('t.orderId', '=', refund.orderId)
    .where('t.kind', '=', 'sale')
    .execute();
  if (sale.length === 0) throw new Error(`order ${refund.orderId} has no sale in the ledger`);
  return write(
    trx,
    { kind: 'refund', currency: sale[0]!.currency, orderId: refund.orderId, refundId: refund.id },
    sale.map((entry) => ({ account: entry.ledgerAccount, contributorId: entry.contributorId ?? undefined, amountCents: -Number(entry.amountCents) })),
  );
}

export function recordPayout(trx: Trx, payout: { id: string; contributorId: string; currency: string; amountCents: number }): Promise<string> {
  return write(trx, { kind: 'payout', currency: payout.currency, payoutId: payout.id }, [
    { account: 'contributor_payable', contributorId: payout.contributorId, amountCents: payout.amountCents },
    { account: 'stripe_balance', amountCents: -payout.amountCents },
  ]);
}

export interface Balance {
  contributorId: string;
  currency: string;
  /** What the platform owes the contributor now. */
  balanceCents: number;
}

/** Every contributor's balance per currency (or one contributor's), from the ledger alone. */
export async function contributorBalances(db: SellingDb, contributorId?: string): Promise<Balance[]> {
  let q = db
    .selectFrom('ledgerEntries as e')
    .innerJoin('ledgerTransactions as t', 't.id', 'e.transactionId')
    .select(['e.contributorId', 't.currency', sql<string>`-sum(e.amount_cents)`.as('balance')])
    .where('e.ledgerAccount', '=', 'contributor_payable')
    .groupBy(['e.contributorId', 't.currency'])
    .orderBy('e.contributorId')
    .orderBy('t.currency');
  if (contributorId) q = q.where('e.contributorId', '=', contributorId);
  const rows = await q.execute();
  return rows.map((row) => ({ contributorId: row.contributorId!, currency: row.currency, balanceCents: Number(row.balance) }));
}

/** Sum of every entry per currency: zero in a sound ledger (the trial balance). */
export async function trialBalance(db: SellingDb): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('ledgerEntries as e')
    .innerJoin('ledgerTransactions as t', 't.id', 'e.transactionId')
    .select(['t.currency', sql<string>`sum(e.amount_cents)`.as('sum')])
    .groupBy('t.currency')
    .execute();
  return Object.fromEntries(rows.map((row) => [row.currency, Number(row.sum)]));
}

/**
 * The payout run: every contributor whose balance (from the ledger) in a currency reaches the threshold,
 * and whose Stripe Connect account can receive payouts, gets one transfer of the whole balance.
 *
 * Idempotent and safe to re-run at any moment:
 * - a payout row is written (pending) before Stripe is asked, and at most one per contributor and
 *   currency can be pending (a unique partial index), so two overlapping runs cannot both pay;
 * - the transfer's Stripe idempotency key is the payout id, so retrying a pending payout (after a crash
 *   between Stripe's answer and our commit) returns the first transfer instead of paying twice;
 * - the ledger entry and `paid` are committed together; the next run sees the balance at zero.
 *
 * Held back from each balance (paid at a later run): the contributor's share of sales younger than the
 * holding period (refunds and chargebacks mostly come within days; paying them out first would leave the
 * platform chasing a negative balance), of orders under an open dispute, and of sets an admin blocked.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { contributorBalances, recordPayout } from './ledger.ts';
import type { SellingDb } from './schema.ts';
import type { StripeGateway } from './stripe-gateway.ts';

export interface PayoutLine {
  contributorId: string;
  slug: string;
  currency: string;
  amountCents: number;
  payoutId?: string;
  transferId?: string;
  /** Why nothing was paid, or why paying failed. */
  reason?: string;
}

export interface PayoutReport {
  runId: string;
  startedAt: string;
  finishedAt: string;
  thresholdCents: number;
  paid: PayoutLine[];
  failed: PayoutLine[];
  skipped: PayoutLine[];
  /** Paid out per currency in this run. */
  totals: Record<string, number>;
}

export interface PayoutRunOptions {
  db: SellingDb;
  gateway: Pick<StripeGateway, 'transfer'>;
  /** Smallest balance worth a transfer, in cents of each currency. */
  thresholdCents: number;
  /** Days a sale's share is held before it can be paid out (PAYOUT_HOLD_DAYS, default 14). */
  holdDays: number;
}

/** The share of each contributor's balance that must not be paid out yet, per currency. */
export async function heldBalances(db: SellingDb, holdDays: number): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('orderItems as oi')
    .innerJoin('orders as o', 'o.id', 'oi.orderId')
    .select(['oi.contributorId', 'o.currency', sql<string>`sum(oi.contributor_cents)`.as('held')])
    .where('o.status', '=', 'paid')
    .where((eb) =>
      eb.or([
        eb('o.createdAt', '>', sql<Date>`now() - make_interval(days => ${holdDays})`),
        eb.exists(eb.selectFrom('disputes as d').select('d.id').whereRef('d.orderId', '=', 'o.id').where('d.status', '=', 'open')),
        // product_blocks is the API's table (migration 0003), outside the catalog's types.
        sql<boolean>`exists (select 1 from product_blocks b where b.product_id = oi.product_id)`,
      ]),
    )
    .groupBy(['oi.contributorId', 'o.currency'])
    .execute();
  return new Map(rows.map((row) => [`${row.contributorId} ${row.currency}`, Number(row.held)]));
}

export async function runPayouts({ db, gateway, thresholdCents, holdDays }: PayoutRunOptions): Promise<PayoutReport> {
  const runId = randomUUID();
  const startedAt = new Date().toISOString();
  const report: PayoutReport = { runId, startedAt, finishedAt: startedAt, thresholdCents, paid: [], failed: [], skipped: [], totals: {} };
  const contributors = new Map((await db.selectFrom('contributors').select(['id', 'slug']).execute()).map((c) => [c.id, c.slug]));

  // First finish what an earlier run left pending (same payout id, same idempotency key, same transfer).
  const pending = await db.selectFrom('payouts').selectAll().where('status', '=', 'pending').execute();
  for (const payout of pending) {
    await pay(payout.id, { contributorId: payout.contributorId, slug: contributors.get(payout.contributorId) ?? '?', currency: payout.currency, amountCents: payout.amountCents }, payout.stripeAccountId);
  }

  const accounts = new Map((await db.selectFrom('connectAccounts').selectAll().execute()).map((a) => [a.contributorId, a]));
  const held = await heldBalances(db, holdDays);
  for (const balance of await contributorBalances(db)) {
    const heldCents = held.get(`${balance.contributorId} ${balance.currency}`) ?? 0;
    const payable = balance.balanceCents - heldCents;
    const line: PayoutLine = { contributorId: balance.contributorId, slug: contributors.get(balance.contributorId) ?? '?', currency: balance.currency, amountCents: payable };
    if (pending.some((p) => p.contributorId === line.contributorId && p.currency === line.currency)) continue;
    if (balance.balanceCents <= 0) continue;
    if (payable < thresholdCents) {
      const heldNote = heldCents > 0 ? ` after ${heldCents} held (sales within the ${holdDays}-day hold, under dispute, or of blocked sets)` : '';
      report.skipped.push({ ...line, amountCents: Math.max(payable, 0), reason: `balance below the ${thresholdCents}-cent threshold${heldNote}` });
      continue;
    }
    const account = accounts.get(balance.contributorId);
    if (!account || !account.payoutsEnabled) {
      report.skipped.push({ ...line, reason: account ? 'payout account onboarding not finished' : 'no payout account' });
      continue;
    }
    const created = await db
      .insertInto('payouts')
      .values({ runId, contributorId: line.contributorId, stripeAccountId: account.stripeAccountId, currency: line.currency, amountCents: line.amountCents, stripeTransferId: null, failure: null, completedAt: null })
      .onConflict((oc) => oc.columns(['contributorId', 'currency']).where('status', '=', 'pending').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!created) {
      report.skipped.push({ ...line, reason: 'another run is paying this balance' });
      continue;
    }
    await pay(created.id, line, account.stripeAccountId);
  }
  report.finishedAt = new Date().toISOString();
  return report;

  async function pay(payoutId: string, line: PayoutLine, destination: string): Promise<void> {
    let transferId: string;
    try {
      transferId = await gateway.transfer({ amountCents: line.amountCents, currency: line.currency, destination, idempotencyKey: `payout-${payoutId}`, payoutId });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      // No answer (network, 5xx): Stripe may have made the transfer. Stay pending; the next run asks again
      // with the same idempotency key. Only a refusal (4xx) fails the payout, so a later run can try anew.
      const status = (error as { statusCode?: number }).statusCode;
      if (status === undefined || status >= 500) {
        report.failed.push({ ...line, payoutId, reason: `${reason} (left pending; the next run retries it)` });
        return;
      }
      await db.updateTable('payouts').set({ status: 'failed', failure: reason, completedAt: sql<Date>`now()` }).where('id', '=', payoutId).where('status', '=', 'pending').execute();
      report.failed.push({ ...line, payoutId, reason });
      return;
    }
    await db.transaction().execute(async (trx) => {
      const marked = await trx
        .updateTable('payouts')
        .set({ status: 'paid', stripeTransferId: transferId, completedAt: sql<Date>`now()` })
        .where('id', '=', payoutId)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (marked.numUpdatedRows === 0n) return;
      await recordPayout(trx, { id: payoutId, contributorId: line.contributorId, currency: line.currency, amountCents: line.amountCents });
    });
    report.paid.push({ ...line, payoutId, transferId });
    report.totals[line.currency] = (report.totals[line.currency] ?? 0) + line.amountCents;
  }
}

/** The report as a few lines for a person (the script prints it; the Lambda logs the JSON). */
export function formatPayoutReport(report: PayoutReport): string {
  const money = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency}`;
  const lines = [`Payout run ${report.runId} (threshold ${report.thresholdCents} cents), ${report.startedAt} – ${report.finishedAt}`];
  for (const line of report.paid) lines.push(`  paid     ${line.slug.padEnd(24)} ${money(line.amountCents, line.currency).padStart(14)}  ${line.transferId}`);
  for (const line of report.failed) lines.push(`  FAILED   ${line.slug.padEnd(24)} ${money(line.amountCents, line.currency).padStart(14)}  ${line.reason}`);
  for (const line of report.skipped) lines.push(`  skipped  ${line.slug.padEnd(24)} ${money(line.amountCents, line.currency).padStart(14)}  ${line.reason}`);
  const totals = Object.entries(report.totals).map(([currency, cents]) => money(cents, currency));
  lines.push(`  total paid: ${totals.length ? totals.join(', ') : 'nothing'}`);
  return lines.join('\n');
}

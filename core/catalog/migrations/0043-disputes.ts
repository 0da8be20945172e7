import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * Chargebacks: one row per Stripe dispute on an order. While a dispute is open the order's licences are
 * suspended and its contributors' share is held back from payouts; lost, the sale is reversed like a refund
 * (a `refunds` row, reason "Chargeback lost"); won, the licences come back.
 */
export const disputes: CatalogMigration = {
  destructive: false,

  async up(db) {
    await db.schema
      .createTable('disputes')
      .addColumn('id', 'text', (col) => col.primaryKey()) // Stripe's dispute id (dp_…)
      .addColumn('order_id', 'uuid', (col) => col.notNull().references('orders.id'))
      .addColumn('amount_cents', 'integer', (col) => col.notNull())
      .addColumn('currency', 'text', (col) => col.notNull())
      .addColumn('status', 'text', (col) => col.notNull().defaultTo('open'))
      .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('closed_at', 'timestamptz')
      .addCheckConstraint('disputes_status_valid', sql`status in ('open', 'won', 'lost')`)
      .addCheckConstraint('disputes_closed_iff_decided', sql`(status = 'open') = (closed_at is null)`)
      .execute();
    await db.schema.createIndex('disputes_order_idx').on('disputes').column('order_id').execute();
    // The payout job holds back the share of an order under an open dispute (0037's roles; the API has
    // every table through default privileges).
    await sql`grant select on disputes to marketplace_payouts`.execute(db);
  },

  async down(db) {
    await db.schema.dropTable('disputes').execute();
  },
};

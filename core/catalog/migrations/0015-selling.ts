import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * Selling: checkouts (prices fixed when checkout starts), orders and their items, entitlements, refunds,
 * Stripe events (idempotency by event id), a double-entry ledger, Stripe Connect accounts, payouts, and
 * downloads logged against the entitlement they used.
 *
 * Money is integer cents with an ISO 4217 currency everywhere. The ledger is append-only and every
 * transaction balances (its entries sum to zero), checked by a deferred constraint trigger at commit, so
 * a transaction's entries can be inserted one by one but never committed unbalanced.
 * Frozen history: values are written out, not imported (see 0001).
 */
export const selling: CatalogMigration = {
  destructive: false,

  async up(db) {
    const currency = (name: string) => sql.raw(`${name} ~ '^[A-Z]{3}$'`);

    await db.schema
      .createTable('checkouts')
      .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
      .addColumn('account_id', 'uuid', (col) => col.notNull().references('accounts.id'))
      .addColumn('stripe_session_id', 'text', (col) => col.unique())
      .addColumn('currency', 'text', (col) => col.notNull())
      .addColumn('total_cents', 'integer', (col) => col.notNull())
      .addColumn('status', 'text', (col) => col.notNull().defaultTo('open'))
      .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('completed_at', 'timestamptz')
      .addCheckConstraint('checkouts_currency_valid', currency('currency'))
      .addCheckConstraint('checkouts_total_positive', sql`total_cents > 0`)
      .addCheckConstraint('checkouts_status_valid', sql`status in ('open', 'completed', 'expired')`)
      .execute();
    await db.schema.createIndex('checkouts_account_idx').on('checkouts').columns(['account_id', 'created_at desc']).execute();
    await db.schema
      .createTable('checkout_items')
      .addColumn('checkout_id', 'uuid', (col) => col.notNull().references('checkouts.id').onDelete('cascade'))
      .addColumn('product_id', 'uuid', (col) => col.notNull().references('products.id'))
      .addColumn('price_cents', 'integer', (col) => col.notNull())
      .addPrimaryKeyConstraint('checkout_items_pkey', ['checkout_id', 'product_id'])
      .addCheckConstraint('checkout_items_price_positive', sql`price_cents > 0`)
      .execute();

    await db.schema
      .createTable('orders')
      .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
      .addColumn('account_id', 'uuid', (col) => col.notNull().references('accounts.id'))
      .addColumn('checkout_id', 'uuid', (col) => col.notNull().unique().references('checkouts.id'))
      .addColumn('stripe_session_id', 'text', (col) => col.notNull().unique())
      .addColumn('stripe_payment_intent_id', 'text', (col) => col.unique())
      .addColumn('currency', 'text', (col) => col.notNull())
      .addColumn('total_cents', 'integer', (col) => col.notNull())
      .addColumn('status', 'text', (col) => col.notNull().defaultTo('paid'))
      .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('refunded_at', 'timestamptz')
      .addCheckConstraint('orders_currency_valid', currency('currency'))
      .addCheckConstraint('orders_total_positive', sql`total_cents > 0`)
      .addCheckConstraint('orders_status_valid', sql`status in ('paid', 'refunded')`)
      .addCheckConstraint('orders_refunded_at_iff_refunded', sql`(status = 'refunded') = (refunded_at is not null)`)
      .execute();
    await db.schema.createIndex('orders_account_idx').on('orders').columns(['account_id', 'created_at desc', 'id desc']).execute();

    await db.schema
      .createTable('order_items')
      .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
      .addColumn('order_id', 'uuid', (col) => col.notNull().references('orders.id'))
      .addColumn('product_id', 'uuid', (col) => col.notNull().references('products.id'))
      .addColumn('contributor_id', 'uuid', (col) => col.notNull().references('contributors.id'))
      .addColumn('licence', 'text', (col) => col.notNull())
      .addColumn('price_cents', 'integer', (col) => col.notNull())
      .addColumn('commission_percent', sql`numeric(5,2)`, (col) => col.notNull())
      .addColumn('platform_cents', 'integer', (col) => col.notNull())
      .addColumn('contributor_cents', 'integer', (col) => col.notNull())
      .addUniqueConstraint('order_items_order_product_key', ['order_id', 'product_id'])
      .addCheckConstraint('order_items_split', sql`platform_cents >= 0 and contributor_cents >= 0 and platform_cents + contributor_cents = price_cents`)
      .addCheckConstraint('order_items_licence_valid', sql`licence in ('standard', 'extended')`)
      .execute();
    await db.schema.createIndex('order_items_contributor_idx').on('order_items').column('contributor_id').execute();
    await db.schema.createIndex('order_items_product_idx').on('order_items').column('product_id').execute();

    await db.schema
      .createTable('entitlements')
      .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
      .addColumn('account_id', 'uuid', (col) => col.notNull().references('accounts.id'))
      .addColumn('product_id', 'uuid', (col) => col.notNull().references('products.id'))
      // Null for a free licence: nothing was bought.
      .addColumn('order_item_id', 'uuid', (col) => col.unique().references('order_items.id'))
      .addColumn('licence', 'text', (col) => col.notNull())
      .addColumn('granted_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('revoked_at', 'timestamptz')
      .addColumn('revoke_reason', 'text')
      .addCheckConstraint('entitlements_licence_valid', sql`licence in ('free', 'standard', 'extended')`)
      .addCheckConstraint('entitlements_free_iff_no_order', sql`(licence = 'free') = (order_item_id is null)`)
      .addCheckConstraint('entitlements_revoked_with_reason', sql`(revoked_at is null) = (revoke_reason is null)`)
      .execute();
    // One live entitlement per account and set; a refunded one stays, revoked, as history.
    await db.schema
      .createIndex('entitlements_live_key')
      .on('entitlements')
      .columns(['account_id', 'product_id'])
      .unique()
      .where(sql.ref('revoked_at'), 'is', null)
      .execute();
    await db.schema.createIndex('entitlements_account_idx').on('entitlements').columns(['account_id', 'granted_at desc']).execute();

    await db.schema
      .createTable('refunds')
      .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
      .addColumn('order_id', 'uuid', (col) => col.notNull().unique().references('orders.id'))
      .addColumn('stripe_refund_id', 'text', (col) => col.unique())
      .addColumn('amount_cents', 'integer', (col) => col.notNull())
      .addColumn('currency', 'text', (col) => col.notNull())
      .addColumn('reason', 'text', (col) => col.notNull())
      // Null when the refund came from Stripe (the dashboard), not from an admin here.
      .addColumn('requested_by', 'uuid', (col) => col.references('accounts.id'))
      .addColumn('status', 'text', (col) => col.notNull())
      .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('completed_at', 'timestamptz')
      .addCheckConstraint('refunds_currency_valid', currency('currency'))
      .addCheckConstraint('refunds_amount_positive', sql`amount_cents > 0`)
      .addCheckConstraint('refunds_status_valid', sql`status in ('requested', 'succeeded')`)
      .execute();

    await db.schema
      .createTable('stripe_events')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('type', 'text', (col) => col.notNull())
      .addColumn('received_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addCheckConstraint('stripe_events_id_format', sql`id ~ '^evt_[A-Za-z0-9_]+$'`)
      .execute();

    await db.schema
      .createTable('connect_accounts')
      .addColumn('contributor_id', 'uuid', (col) => col.primaryKey().references('contributors.id'))
      .addColumn('stripe_account_id', 'text', (col) => col.notNull().unique())
      .addColumn('details_submitted', 'boolean', (col) => col.notNull().defaultTo(false))
      .addColumn('payouts_enabled', 'boolean', (col) => col.notNull().defaultTo(false))
      .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addCheckConstraint('connect_accounts_id_format', sql`stripe_account_id ~ '^acct_[A-Za-z0-9]+$'`)
      .execute();

    await db.schema
      .createTable('payouts')
      .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
      .addColumn('run_id', 'uuid', (col) => col.notNull())
      .addColumn('contributor_id', 'uuid', (col) => col.notNull().references('contributors.id'))
      .addColumn('stripe_account_id', 'text', (col) => col.notNull())
      .addColumn('currency', 'text', (col) => col.notNull())
      .addColumn('amount_cents', 'integer', (col) => col.notNull())
      .addColumn('status', 'text', (col) => col.notNull().defaultTo('pending'))
      .addColumn('stripe_transfer_id', 'text', (col) => col.unique())
      .addColumn('failure', 'text')
      .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addColumn('completed_at', 'timestamptz')
      .addCheckConstraint('payouts_currency_valid', currency('currency'))
      .addCheckConstraint('payouts_amount_positive', sql`amount_cents > 0`)
      .addCheckConstraint('payouts_status_valid', sql`status in ('pending', 'paid', 'failed')`)
      .addCheckConstraint('payouts_paid_has_transfer', sql`(status = 'paid') = (stripe_transfer_id is not null)`)
      .execute();
    // At most one payout in flight per contributor and currency: a second run retries it, never adds one.
    await db.schema
      .createIndex('payouts_one_pending_key')
      .on('payouts')
      .columns(['contributor_id', 'currency'])
      .unique()
      .where(sql.ref('status'), '=', 'pending')
      .execute();
    await db.schema.createIndex('payouts_run_idx').on('payouts').column('run_id').execute();

    await db.schema
      .createTable('ledger_transactions')
      .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
      .addColumn('kind', 'text', (col) => col.notNull())
      .addColumn('currency', 'text', (col) => col.notNull())
      .addColumn('order_id', 'uuid', (col) => col.references('orders.id'))
      .addColumn('refund_id', 'uuid', (col) => col.references('refunds.id'))
      .addColumn('payout_id', 'uuid', (col) => col.unique().references('payouts.id'))
      .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
      .addCheckConstraint('ledger_transactions_currency_valid', currency('currency'))
      .addCheckConstraint('ledger_transactions_kind_valid', sql`kind in ('sale', 'refund', 'payout')`)
      .addCheckConstraint(
        'ledger_transactions_source',
        sql`(kind = 'sale') = (order_id is not null and refund_id is null and payout_id is null)
          and (kind = 'refund') = (refund_id is not null and payout_id is null)
          and (kind = 'payout') = (payout_id is not null and order_id is null and refund_id is null)`,
      )
      .execute();
    // A sale and its refund are written once per order, whatever retries happen.
    await db.schema
      .createIndex('ledger_transactions_sale_key')
      .on('ledger_transactions')
      .column('order_id')
      .unique()
      .where(sql.ref('kind'), '=', 'sale')
      .execute();
    await db.schema
      .createIndex('ledger_transactions_refund_key')
      .on('ledger_transactions')
      .column('refund_id')
      .unique()
      .where(sql.ref('kind'), '=', 'refund')
      .execute();

    await db.schema
      .createTable('ledger_entries')
      .addColumn('id', 'bigserial', (col) => col.primaryKey())
      .addColumn('transaction_id', 'uuid', (col) => col.notNull().references('ledger_transactions.id'))
      // stripe_balance: money held at Stripe for the platform (asset); platform_revenue: commission;
      // contributor_payable: what the platform owes one contributor (liability); stripe_fees: expense.
      .addColumn('ledger_account', 'text', (col) => col.notNull())
      .addColumn('contributor_id', 'uuid', (col) => col.references('contributors.id'))
      // Debits positive, credits negative: a balanced transaction sums to zero.
      .addColumn('amount_cents', 'bigint', (col) => col.notNull())
      .addCheckConstraint('ledger_entries_account_valid', sql`ledger_account in ('stripe_balance', 'platform_revenue', 'contributor_payable', 'stripe_fees')`)
      .addCheckConstraint('ledger_entries_contributor_iff_payable', sql`(ledger_account = 'contributor_payable') = (contributor_id is not null)`)
      .addCheckConstraint('ledger_entries_nonzero', sql`amount_cents <> 0`)
      .execute();
    await db.schema.createIndex('ledger_entries_transaction_idx').on('ledger_entries').column('transaction_id').execute();
    await db.schema
      .createIndex('ledger_entries_contributor_idx')
      .on('ledger_entries')
      .column('contributor_id')
      .where(sql.ref('contributor_id'), 'is not', null)
      .execute();

    await sql`
      create function ledger_transaction_balances() returns trigger language plpgsql as $$
      declare
        unbalanced numeric;
      begin
        select sum(amount_cents) into unbalanced from ledger_entries where transaction_id = new.transaction_id;
        if unbalanced <> 0 then
          raise exception 'ledger transaction % does not balance: entries sum to % cents', new.transaction_id, unbalanced
            using errcode = 'check_violation';
        end if;
        return null;
      end $$
    `.execute(db);
    await sql`
      create constraint trigger ledger_entries_balance after insert on ledger_entries
      deferrable initially deferred for each row execute function ledger_transaction_balances()
    `.execute(db);
    // Append-only: a mistake is corrected by a new, reversing transaction.
    await sql`
      create function ledger_append_only() returns trigger language plpgsql as $$
      begin
        raise exception '% is append-only', tg_table_name using errcode = 'insufficient_privilege';
      end $$
    `.execute(db);
    for (const table of ['ledger_entries', 'ledger_transactions']) {
      await sql`
        create trigger ${sql.id(`${table}_append_only`)} before update or delete or truncate on ${sql.id(table)}
        for each statement execute function ledger_append_only()
      `.execute(db);
    }

    // Downloads: which entitlement allowed it (null for the set's own contributor and admins), and WebP.
    await db.schema
      .alterTable('downloads')
      .addColumn('entitlement_id', 'uuid', (col) => col.references('entitlements.id'))
      .execute();
    await db.schema.createIndex('downloads_entitlement_idx').on('downloads').column('entitlement_id').execute();
    await db.schema.alterTable('downloads').dropConstraint('downloads_format_valid').execute();
    await db.schema.alterTable('downloads').dropConstraint('downloads_size_only_png').execute();
    await db.schema.alterTable('downloads').addCheckConstraint('downloads_format_valid', sql`format in ('zip', 'svg', 'png', 'webp')`).execute();
    await db.schema
      .alterTable('downloads')
      .addCheckConstraint('downloads_size_only_raster', sql`(format in ('png', 'webp')) = (size is not null)`)
      .execute();
  },

  async down(db) {
    await sql`delete from downloads where format = 'webp'`.execute(db);
    await db.schema.alterTable('downloads').dropConstraint('downloads_size_only_raster').execute();
    await db.schema.alterTable('downloads').dropConstraint('downloads_format_valid').execute();
    await db.schema.alterTable('downloads').addCheckConstraint('downloads_format_valid', sql`format in ('zip', 'svg', 'png')`).execute();
    await db.schema.alterTable('downloads').addCheckConstraint('downloads_size_only_png', sql`(format = 'png') = (size is not null)`).execute();
    await db.schema.alterTable('downloads').dropColumn('entitlement_id').execute();
    for (const table of ['ledger_entries', 'ledger_transactions']) {
      await sql`drop trigger ${sql.id(`${table}_append_only`)} on ${sql.id(table)}`.execute(db);
    }
    await sql`drop function ledger_append_only()`.execute(db);
    await db.schema.dropTable('ledger_entries').execute();
    await sql`drop function ledger_transaction_balances()`.execute(db);
    for (const table of ['ledger_transactions', 'payouts', 'connect_accounts', 'stripe_events', 'refunds', 'entitlements', 'order_items', 'orders', 'checkout_items', 'checkouts']) {
      await db.schema.dropTable(table).execute();
    }
  },
};

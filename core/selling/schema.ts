/**
 * The selling tables (migration 0015) as Kysely sees them, camelCase. Money is integer cents plus an
 * ISO 4217 currency in upper case.
 */
import type { ColumnType, Generated, Kysely } from 'kysely';
import type { Database } from '../catalog/schema.ts';

type CreatedAt = ColumnType<Date, never, never>;

export const LICENCES = ['free', 'standard', 'extended'] as const;
export type Licence = (typeof LICENCES)[number];

export type LedgerAccount = 'stripe_balance' | 'platform_revenue' | 'contributor_payable' | 'stripe_fees';

export interface CheckoutsTable {
  id: Generated<string>;
  accountId: string;
  stripeSessionId: string | null;
  currency: string;
  totalCents: number;
  status: Generated<'open' | 'completed' | 'expired'>;
  createdAt: CreatedAt;
  completedAt: Date | null;
}

export interface CheckoutItemsTable {
  checkoutId: string;
  productId: string;
  priceCents: number;
  /** The licence the buyer pays for, fixed when the checkout starts (what fulfilment grants). */
  licence: 'standard' | 'extended';
}

export interface OrdersTable {
  id: Generated<string>;
  accountId: string;
  checkoutId: string;
  stripeSessionId: string;
  stripePaymentIntentId: string | null;
  currency: string;
  totalCents: number;
  status: Generated<'paid' | 'refunded'>;
  createdAt: CreatedAt;
  refundedAt: Date | null;
}

export interface OrderItemsTable {
  id: Generated<string>;
  orderId: string;
  productId: string;
  contributorId: string;
  licence: 'standard' | 'extended';
  priceCents: number;
  /** numeric(5,2): node-postgres reads it as text. */
  commissionPercent: ColumnType<string, string | number, string | number>;
  platformCents: number;
  contributorCents: number;
}

export interface EntitlementsTable {
  id: Generated<string>;
  accountId: string;
  productId: string;
  orderItemId: string | null;
  licence: Licence;
  grantedAt: CreatedAt;
  revokedAt: Date | null;
  revokeReason: string | null;
}

export interface RefundsTable {
  id: Generated<string>;
  orderId: string;
  stripeRefundId: string | null;
  amountCents: number;
  currency: string;
  reason: string;
  requestedBy: string | null;
  status: 'requested' | 'succeeded';
  createdAt: CreatedAt;
  completedAt: Date | null;
}

/** A Stripe dispute (chargeback) on an order (migration 0043). */
export interface DisputesTable {
  /** Stripe's dispute id, dp_… */
  id: string;
  orderId: string;
  amountCents: number;
  currency: string;
  status: Generated<'open' | 'won' | 'lost'>;
  createdAt: CreatedAt;
  closedAt: Date | null;
}

export interface StripeEventsTable {
  id: string;
  type: string;
  receivedAt: CreatedAt;
}

export interface ConnectAccountsTable {
  contributorId: string;
  stripeAccountId: string;
  detailsSubmitted: Generated<boolean>;
  payoutsEnabled: Generated<boolean>;
  createdAt: CreatedAt;
  updatedAt: ColumnType<Date, never, Date>;
}

export interface PayoutsTable {
  id: Generated<string>;
  runId: string;
  contributorId: string;
  stripeAccountId: string;
  currency: string;
  amountCents: number;
  status: Generated<'pending' | 'paid' | 'failed'>;
  stripeTransferId: string | null;
  failure: string | null;
  createdAt: CreatedAt;
  completedAt: Date | null;
}

export interface LedgerTransactionsTable {
  id: Generated<string>;
  kind: 'sale' | 'refund' | 'payout';
  currency: string;
  orderId: string | null;
  refundId: string | null;
  payoutId: string | null;
  createdAt: CreatedAt;
}

export interface LedgerEntriesTable {
  id: Generated<string>;
  transactionId: string;
  ledgerAccount: LedgerAccount;
  contributorId: string | null;
  /** bigint: node-postgres reads it as text. Debits positive, credits negative. */
  amountCents: ColumnType<string, number, never>;
}

// A type alias, not an interface: withTables needs an index-signature-compatible record.
export type SellingTables = {
  checkouts: CheckoutsTable;
  checkoutItems: CheckoutItemsTable;
  orders: OrdersTable;
  orderItems: OrderItemsTable;
  entitlements: EntitlementsTable;
  refunds: RefundsTable;
  disputes: DisputesTable;
  stripeEvents: StripeEventsTable;
  connectAccounts: ConnectAccountsTable;
  payouts: PayoutsTable;
  ledgerTransactions: LedgerTransactionsTable;
  ledgerEntries: LedgerEntriesTable;
};

export type SellingDatabase = Database & SellingTables;
export type SellingDb = Kysely<SellingDatabase>;

/** The same pool, typed with the selling tables too. */
export function sellingDb(db: Kysely<Database>): SellingDb {
  return db.withTables<SellingTables>();
}

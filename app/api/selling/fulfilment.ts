/**
 * What a verified Stripe event does, inside the transaction that records the event id (so a redelivered
 * event does nothing, and a failed one rolls back whole for Stripe to retry):
 * - checkout.session.completed (paid), or checkout.session.async_payment_succeeded (a delayed payment
 *   method such as SEPA or ACH settled): the order, its items, one entitlement per set and the sale's
 *   ledger transaction, from the prices fixed when the checkout started. An order that cannot be honoured
 *   (a set an admin blocked after the checkout opened, or one the buyer already bought in another
 *   checkout) is refunded in full at once instead: recorded, refunded at Stripe, no licence granted;
 * - checkout.session.async_payment_failed / checkout.session.expired: the checkout is closed (expired);
 * - charge.refunded (in full): entitlements revoked, the order marked refunded, the sale reversed;
 * - charge.dispute.created (a chargeback): the order's licences suspended, its contributors' share held
 *   back from payouts (core/selling/payouts.ts); charge.dispute.closed: lost, the sale is reversed like a
 *   refund (the money went back to the buyer); won, the licences come back;
 * - account.updated: a Connect account's onboarding state.
 */
import type Stripe from 'stripe';
import type { Transaction } from 'kysely';
import { sql } from 'kysely';
import { commissionSplit, recordRefund, recordSale } from '../../../core/selling/ledger.ts';
import type { StripeGateway } from '../../../core/selling/stripe-gateway.ts';
import type { ApiDatabase } from '../tables.ts';

type Trx = Transaction<ApiDatabase>;

/** What fulfilment asks of Stripe: refunding an order it cannot honour. */
export type FulfilmentGateway = Pick<StripeGateway, 'refundPayment'>;

export type EventOutcome =
  | 'duplicate'
  | 'ignored'
  | 'order_created'
  | 'order_refunded_unfulfillable'
  | 'checkout_closed'
  | 'already_closed'
  | 'already_fulfilled'
  | 'unknown_checkout'
  | 'awaiting_payment'
  | 'refunded'
  | 'already_refunded'
  | 'partial_refund_ignored'
  | 'unknown_payment'
  | 'account_updated'
  | 'dispute_opened'
  | 'dispute_won'
  | 'dispute_lost'
  | 'unknown_dispute';

export async function applyStripeEvent(trx: Trx, event: Stripe.Event, commissionPercent: number, gateway: FulfilmentGateway): Promise<EventOutcome> {
  const recorded = await trx
    .insertInto('stripeEvents')
    .values({ id: event.id, type: event.type })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!recorded) return 'duplicate';
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded':
      return fulfilCheckout(trx, event.data.object, commissionPercent, gateway);
    case 'checkout.session.async_payment_failed':
    case 'checkout.session.expired':
      return closeCheckout(trx, event.data.object);
    case 'charge.refunded':
      return revokeRefunded(trx, event.data.object);
    case 'charge.dispute.created':
      return openDispute(trx, event.data.object);
    case 'charge.dispute.closed':
      return closeDispute(trx, event.data.object);
    case 'account.updated':
      return updateConnectAccount(trx, event.data.object);
    default:
      return 'ignored';
  }
}

async function fulfilCheckout(trx: Trx, session: Stripe.Checkout.Session, commissionPercent: number, gateway: FulfilmentGateway): Promise<EventOutcome> {
  const checkout = await trx.selectFrom('checkouts').selectAll().where('stripeSessionId', '=', session.id).forUpdate().executeTakeFirst();
  if (!checkout) return 'unknown_checkout';
  if (checkout.status === 'completed') return 'already_fulfilled';
  // Delayed payment methods complete the session unpaid; checkout.session.async_payment_succeeded follows.
  if (session.payment_status !== 'paid') return 'awaiting_payment';
  if (session.amount_total !== checkout.totalCents || session.currency?.toUpperCase() !== checkout.currency) {
    throw new Error(
      `checkout ${checkout.id}: Stripe charged ${session.amount_total} ${session.currency}, the checkout was for ${checkout.totalCents} ${checkout.currency}`,
    );
  }
  const paymentIntent = typeof session.payment_intent === 'string' ? session.payment_intent : (session.payment_intent?.id ?? null);
  const order = await trx
    .insertInto('orders')
    .values({
      accountId: checkout.accountId,
      checkoutId: checkout.id,
      stripeSessionId: session.id,
      stripePaymentIntentId: paymentIntent,
      currency: checkout.currency,
      totalCents: checkout.totalCents,
    })
    .returning(['id', 'currency'])
    .executeTakeFirstOrThrow();
  const items = await trx
    .selectFrom('checkoutItems as ci')
    .innerJoin('products as p', 'p.id', 'ci.productId')
    .leftJoin('productBlocks as b', 'b.productId', 'p.id')
    .select(['ci.productId', 'ci.priceCents', 'ci.licence', 'p.contributorId', 'p.title', 'b.productId as blockedId'])
    .where('ci.checkoutId', '=', checkout.id)
    .orderBy('ci.productId')
    .execute();
  // Sets this account already bought (and still holds) in another checkout.
  const owned = new Set(
    (
      await trx
        .selectFrom('entitlements')
        .select('productId')
        .where('accountId', '=', checkout.accountId)
        .where('productId', 'in', items.map((item) => item.productId))
        .where('licence', '<>', 'free')
        .where('revokedAt', 'is', null)
        .execute()
    ).map((row) => row.productId),
  );
  const unfulfillable = items.flatMap((item) =>
    item.blockedId
      ? [{ duplicate: false, why: `"${item.title}" was blocked before the payment completed` }]
      : owned.has(item.productId)
        ? [{ duplicate: true, why: `"${item.title}" was already bought in another checkout` }]
        : [],
  );
  const sale = [];
  for (const item of items) {
    const split = commissionSplit(item.priceCents, commissionPercent);
    // The licence the buyer paid for, recorded when the checkout started (a later edit of the set does not change it).
    const licence = item.licence;
    const orderItem = await trx
      .insertInto('orderItems')
      .values({
        orderId: order.id,
        productId: item.productId,
        contributorId: item.contributorId,
        licence,
        priceCents: item.priceCents,
        commissionPercent,
        platformCents: split.platformCents,
        contributorCents: split.contributorCents,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    sale.push({ contributorId: item.contributorId, ...split });
    if (unfulfillable.length > 0) continue;
    // A free licence held before is replaced by the bought one.
    await trx
      .updateTable('entitlements')
      .set({ revokedAt: sql<Date>`now()`, revokeReason: 'superseded by a purchase' })
      .where('accountId', '=', checkout.accountId)
      .where('productId', '=', item.productId)
      .where('revokedAt', 'is', null)
      .where('licence', '=', 'free')
      .execute();
    await trx
      .insertInto('entitlements')
      .values({ accountId: checkout.accountId, productId: item.productId, orderItemId: orderItem.id, licence })
      .onConflict((oc) => oc.columns(['accountId', 'productId']).where('revokedAt', 'is', null).doNothing())
      .execute();
  }
  await recordSale(trx, order, sale);
  await trx.updateTable('checkouts').set({ status: 'completed', completedAt: sql<Date>`now()` }).where('id', '=', checkout.id).execute();
  if (unfulfillable.length === 0) return 'order_created';
  await refundUnfulfillable(trx, gateway, { ...order, checkoutId: checkout.id, totalCents: checkout.totalCents, paymentIntent }, unfulfillable);
  return 'order_refunded_unfulfillable';
}

/**
 * Refunds a whole order the marketplace cannot honour, inside the event's transaction: the sale is recorded
 * and reversed (the money came in and goes back), no licence is granted, and Stripe is asked for the refund
 * with a key derived from the checkout, so a retried event (after a rollback) gets the same refund, not a
 * second one. Stripe's charge.refunded that follows finds the order refunded already.
 */
async function refundUnfulfillable(
  trx: Trx,
  gateway: FulfilmentGateway,
  order: { id: string; currency: string; checkoutId: string; totalCents: number; paymentIntent: string | null },
  reasons: Array<{ duplicate: boolean; why: string }>,
): Promise<void> {
  if (!order.paymentIntent) throw new Error(`order ${order.id} cannot be honoured and has no payment intent to refund`);
  const refund = await trx
    .insertInto('refunds')
    .values({
      orderId: order.id,
      stripeRefundId: null,
      amountCents: order.totalCents,
      currency: order.currency,
      reason: `Refunded automatically: ${reasons.map((r) => r.why).join('; ')}`,
      requestedBy: null,
      status: 'requested',
      completedAt: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const stripeRefund = await gateway.refundPayment(order.paymentIntent, {
    idempotencyKey: `unfulfillable-${order.checkoutId}`,
    refundId: refund.id,
    ...(reasons.every((r) => r.duplicate) ? { reason: 'duplicate' as const } : {}),
  });
  const succeeded = stripeRefund.status === 'succeeded';
  await trx
    .updateTable('refunds')
    .set({ stripeRefundId: stripeRefund.id, status: succeeded ? 'succeeded' : 'requested', completedAt: succeeded ? sql<Date>`now()` : null })
    .where('id', '=', refund.id)
    .execute();
  // No licence was granted for it: nothing to revoke.
  await reverseOrder(trx, order.id, refund.id, null);
}

/** A delayed payment failed, or the session expired unpaid: the checkout is closed; nothing was charged. */
async function closeCheckout(trx: Trx, session: Stripe.Checkout.Session): Promise<EventOutcome> {
  const checkout = await trx.selectFrom('checkouts').select(['id', 'status']).where('stripeSessionId', '=', session.id).forUpdate().executeTakeFirst();
  if (!checkout) return 'unknown_checkout';
  if (checkout.status !== 'open') return 'already_closed';
  await trx.updateTable('checkouts').set({ status: 'expired' }).where('id', '=', checkout.id).execute();
  return 'checkout_closed';
}

async function revokeRefunded(trx: Trx, charge: Stripe.Charge): Promise<EventOutcome> {
  const paymentIntent = typeof charge.payment_intent === 'string' ? charge.payment_intent : (charge.payment_intent?.id ?? null);
  if (!paymentIntent) return 'unknown_payment';
  const order = await trx.selectFrom('orders').selectAll().where('stripePaymentIntentId', '=', paymentIntent).forUpdate().executeTakeFirst();
  if (!order) return 'unknown_payment';
  if (order.status === 'refunded') {
    // A refund this side started (an unfulfillable order) that Stripe reported pending has now gone through.
    await trx
      .updateTable('refunds')
      .set({ status: 'succeeded', completedAt: sql<Date>`now()` })
      .where('orderId', '=', order.id)
      .where('status', '=', 'requested')
      .execute();
    return 'already_refunded';
  }
  // Only whole-order refunds revoke: a partial one (a goodwill gesture in Stripe's dashboard) keeps the licences.
  if (charge.amount_refunded < order.totalCents) return 'partial_refund_ignored';
  const stripeRefundId = charge.refunds?.data[0]?.id ?? null;
  let refund = await trx.selectFrom('refunds').select('id').where('orderId', '=', order.id).executeTakeFirst();
  if (refund) {
    await trx
      .updateTable('refunds')
      .set({ status: 'succeeded', completedAt: sql<Date>`now()`, ...(stripeRefundId ? { stripeRefundId } : {}) })
      .where('id', '=', refund.id)
      .execute();
  } else {
    refund = await trx
      .insertInto('refunds')
      .values({
        orderId: order.id,
        stripeRefundId,
        amountCents: order.totalCents,
        currency: order.currency,
        reason: 'Refunded in Stripe',
        requestedBy: null,
        status: 'succeeded',
        completedAt: sql<Date>`now()`,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
  }
  await reverseOrder(trx, order.id, refund.id, 'refunded');
  return 'refunded';
}

/**
 * Marks an order refunded, revokes its licences (with `revokeReason`; null when it granted none) and reverses
 * the sale in the ledger, all in the caller's transaction.
 */
async function reverseOrder(trx: Trx, orderId: string, refundId: string, revokeReason: string | null): Promise<void> {
  await trx.updateTable('orders').set({ status: 'refunded', refundedAt: sql<Date>`now()` }).where('id', '=', orderId).execute();
  if (revokeReason !== null) {
    await trx
      .updateTable('entitlements')
      .set({ revokedAt: sql<Date>`now()`, revokeReason })
      .where('revokedAt', 'is', null)
      .where('orderItemId', 'in', (eb) => eb.selectFrom('orderItems').select('id').where('orderId', '=', orderId))
      .execute();
  }
  await recordRefund(trx, { id: refundId, orderId });
}

function paymentIntentOf(object: { payment_intent?: string | { id: string } | null }): string | null {
  return typeof object.payment_intent === 'string' ? object.payment_intent : (object.payment_intent?.id ?? null);
}

async function openDispute(trx: Trx, dispute: Stripe.Dispute): Promise<EventOutcome> {
  const paymentIntent = paymentIntentOf(dispute);
  const order = paymentIntent ? await trx.selectFrom('orders').select(['id', 'currency']).where('stripePaymentIntentId', '=', paymentIntent).forUpdate().executeTakeFirst() : undefined;
  if (!order) return 'unknown_payment';
  await trx
    .insertInto('disputes')
    .values({ id: dispute.id, orderId: order.id, amountCents: dispute.amount, currency: dispute.currency.toUpperCase(), closedAt: null })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  // Suspended while the bank decides: a buyer who claims they never bought it should not keep using it.
  await trx
    .updateTable('entitlements')
    .set({ revokedAt: sql<Date>`now()`, revokeReason: 'disputed' })
    .where('revokedAt', 'is', null)
    .where('orderItemId', 'in', (eb) => eb.selectFrom('orderItems').select('id').where('orderId', '=', order.id))
    .execute();
  return 'dispute_opened';
}

async function closeDispute(trx: Trx, dispute: Stripe.Dispute): Promise<EventOutcome> {
  const row = await trx.selectFrom('disputes').select(['id', 'orderId', 'status']).where('id', '=', dispute.id).forUpdate().executeTakeFirst();
  if (!row) return 'unknown_dispute';
  const order = await trx.selectFrom('orders').selectAll().where('id', '=', row.orderId).forUpdate().executeTakeFirstOrThrow();
  if (dispute.status === 'won') {
    await trx.updateTable('disputes').set({ status: 'won', closedAt: sql<Date>`now()` }).where('id', '=', row.id).execute();
    if (order.status === 'paid') {
      // The suspended licences come back (unless the buyer got the set again meanwhile, e.g. bought it anew).
      await trx
        .updateTable('entitlements as e')
        .set({ revokedAt: null, revokeReason: null })
        .where('e.revokeReason', '=', 'disputed')
        .where('e.orderItemId', 'in', (eb) => eb.selectFrom('orderItems').select('id').where('orderId', '=', order.id))
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('entitlements as live')
                .select('live.id')
                .whereRef('live.accountId', '=', 'e.accountId')
                .whereRef('live.productId', '=', 'e.productId')
                .where('live.revokedAt', 'is', null),
            ),
          ),
        )
        .execute();
    }
    return 'dispute_won';
  }
  if (dispute.status !== 'lost') return 'ignored';
  await trx.updateTable('disputes').set({ status: 'lost', closedAt: sql<Date>`now()` }).where('id', '=', row.id).execute();
  if (order.status === 'refunded') return 'already_refunded';
  // The bank returned the buyer's money: the sale is reversed as a refund is, and the licences stay revoked.
  const refund = await trx
    .insertInto('refunds')
    .values({
      orderId: order.id,
      stripeRefundId: null,
      amountCents: order.totalCents,
      currency: order.currency,
      reason: `Chargeback lost (Stripe dispute ${row.id})`,
      requestedBy: null,
      status: 'succeeded',
      completedAt: sql<Date>`now()`,
    })
    // An admin's refund still waiting at Stripe is overtaken by the chargeback: one reversal, not two.
    .onConflict((oc) => oc.column('orderId').doUpdateSet({ status: 'succeeded', completedAt: sql<Date>`now()`, reason: `Chargeback lost (Stripe dispute ${row.id})` }))
    .returning('id')
    .executeTakeFirstOrThrow();
  await reverseOrder(trx, order.id, refund.id, 'chargeback lost');
  return 'dispute_lost';
}

async function updateConnectAccount(trx: Trx, account: Stripe.Account): Promise<EventOutcome> {
  const updated = await trx
    .updateTable('connectAccounts')
    .set({ detailsSubmitted: account.details_submitted ?? false, payoutsEnabled: account.payouts_enabled ?? false, updatedAt: new Date() })
    .where('stripeAccountId', '=', account.id)
    .executeTakeFirst();
  return updated.numUpdatedRows > 0n ? 'account_updated' : 'ignored';
}

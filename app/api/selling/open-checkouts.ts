/**
 * Open checkouts that must not be paid any more: an account's older checkouts of sets it is checking out
 * again (two tabs, a double click: paying both would charge twice for one licence), and everyone's checkouts
 * of a set its contributor unpublished or an admin blocked. Each is closed at Stripe (the session expires and
 * its page stops taking payment) and marked expired here. A session Stripe reports complete was already paid
 * (or a delayed payment started): it cannot be closed, and fulfilment decides (fulfilment.ts refunds a
 * duplicate or a blocked set in full).
 */
import type { Logger } from 'pino';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { StripeGateway } from '../../../core/selling/stripe-gateway.ts';
import type { ApiContext } from '../context.ts';
import type { ApiDatabase } from '../tables.ts';

/** How long a checkout may sit without a Stripe session before it is taken as a failed start (not one under way). */
export const SESSION_START_GRACE_SECONDS = 60;

export interface OpenCheckout {
  id: string;
  stripeSessionId: string | null;
  /** Null session and younger than the grace period: another request is creating its session right now. */
  starting: boolean;
  productIds: string[];
}

/** Open checkouts holding any of these sets, of one account or (no account) of everyone. */
export async function openCheckoutsHolding(db: Kysely<ApiDatabase> | Transaction<ApiDatabase>, productIds: readonly string[], accountId?: string): Promise<OpenCheckout[]> {
  if (productIds.length === 0) return [];
  let q = db
    .selectFrom('checkouts as c')
    .innerJoin('checkoutItems as ci', 'ci.checkoutId', 'c.id')
    .select([
      'c.id',
      'c.stripeSessionId',
      sql<boolean>`c.stripe_session_id is null and c.created_at > now() - make_interval(secs => ${SESSION_START_GRACE_SECONDS})`.as('starting'),
      sql<string[]>`array_agg(ci.product_id order by ci.product_id)`.as('productIds'),
    ])
    .where('c.status', '=', 'open')
    .where('ci.productId', 'in', productIds)
    .groupBy('c.id');
  if (accountId) q = q.where('c.accountId', '=', accountId);
  return q.execute();
}

/**
 * Closes one open checkout at Stripe and here. Answers 'complete' when Stripe had already taken (or started
 * taking) the payment, 'expired' otherwise. A checkout without a session never reached Stripe.
 */
export async function closeCheckout(db: Kysely<ApiDatabase> | Transaction<ApiDatabase>, gateway: StripeGateway, checkout: OpenCheckout): Promise<'complete' | 'expired'> {
  const status = checkout.stripeSessionId ? await gateway.expireCheckoutSession(checkout.stripeSessionId) : 'expired';
  if (status === 'expired') await db.updateTable('checkouts').set({ status: 'expired' }).where('id', '=', checkout.id).where('status', '=', 'open').execute();
  return status;
}

/**
 * After a set is blocked or unpublished: closes every open checkout holding it, so nobody pays for it from a
 * page opened before. Best effort (a Stripe failure is logged, not thrown: the set is withdrawn either way,
 * and fulfilment refunds a blocked set that is paid for all the same).
 */
export async function closeCheckoutsOfWithdrawnSet(ctx: ApiContext, productId: string, log: Logger): Promise<void> {
  const gateway = ctx.selling.gateway;
  if (!gateway) return;
  for (const checkout of await openCheckoutsHolding(ctx.db, [productId])) {
    try {
      const status = await closeCheckout(ctx.db, gateway, checkout);
      log.info({ checkoutId: checkout.id, productId, status }, 'open checkout of a withdrawn set closed');
    } catch (error) {
      log.warn({ err: error, checkoutId: checkout.id, productId }, 'could not close an open checkout of a withdrawn set');
    }
  }
}

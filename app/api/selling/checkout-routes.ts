/**
 * Checkout: a Stripe Checkout Session for a cart of sets, priced from the catalog when it starts (the
 * client sends only set ids), and the Stripe webhook that turns a paid session into an order.
 */
import express, { type Express } from 'express';
import { sql } from 'kysely';
import { z } from 'zod';
import { MAX_API_JSON_BYTES } from '../../../core/limits.ts';
import type { ApiContext } from '../context.ts';
import { ApiError, notFound } from '../http/errors.ts';
import type { RouteTable } from '../http/route.ts';
import { applyStripeEvent } from './fulfilment.ts';
import { liveEntitlement } from './entitlements.ts';
import { closeCheckout, openCheckoutsHolding } from './open-checkouts.ts';
import { storefrontUrl } from './settings.ts';

/** Stripe's webhook endpoint. Exempt from CSRF Origin checks: Stripe's servers call it, and its signature is the check. */
export const STRIPE_WEBHOOK_PATH = '/api/stripe/webhook';
/** Mutating routes that authenticate by signature, not by session cookie: CSRF checks must let them through. */
export const CSRF_EXEMPT_PATHS: readonly string[] = [STRIPE_WEBHOOK_PATH];

const MAX_CART_SETS = 20;

export function paymentsUnavailable(): ApiError {
  return new ApiError(503, 'payments_unavailable', 'Payments are not configured on this marketplace (no Stripe keys).');
}

const checkoutSchema = z.object({
  id: z.uuid(),
  status: z.enum(['open', 'completed', 'expired']),
  currency: z.string(),
  totalCents: z.number().int(),
  orderId: z.uuid().nullable(),
  items: z.array(z.object({ productId: z.uuid(), title: z.string(), priceCents: z.number().int() })),
});

export function checkoutRoutes(routes: RouteTable, ctx: ApiContext): void {
  routes.add({
    method: 'post',
    path: '/checkout',
    summary: 'Start a Stripe Checkout for a cart of sets (prices from the catalog, now)',
    tag: 'selling',
    access: 'signed-in',
    body: z
      .object({ productIds: z.array(z.uuid()).min(1).max(MAX_CART_SETS).refine((ids) => new Set(ids).size === ids.length, 'each set once') })
      .strict(),
    responses: {
      201: { description: "Stripe's hosted checkout page for this cart", schema: z.object({ checkoutId: z.uuid(), url: z.url() }) },
      409: {
        description:
          'A set cannot be bought: unpublished, free, yours, already yours, or in another checkout of yours that is being paid (issues say which). ' +
          'An older unpaid checkout of the same sets is closed instead.',
      },
      503: { description: 'Payments are not configured' },
    },
    async handle({ account, body, req }) {
      const gateway = ctx.selling.gateway;
      if (!gateway) throw paymentsUnavailable();
      const products = await ctx.db
        .selectFrom('products as p')
        .leftJoin('productBlocks as b', 'b.productId', 'p.id')
        .select(['p.id', 'p.title', 'p.priceCents', 'p.currency', 'p.license', 'p.contributorId', 'p.published', 'p.status', 'b.productId as blockedId'])
        .where('p.id', 'in', body.productIds)
        .execute();
      const issues: Array<{ path: string; message: string }> = [];
      const lines: Array<{ productId: string; title: string; priceCents: number; currency: string; licence: 'standard' | 'extended' }> = [];
      for (const [index, productId] of body.productIds.entries()) {
        const path = `body.productIds.${index}`;
        const product = products.find((p) => p.id === productId);
        if (!product || !product.published || product.status !== 'ready' || product.blockedId) {
          issues.push({ path, message: 'this set is not for sale (not found or not published)' });
        } else if (account.contributor?.id === product.contributorId) {
          issues.push({ path, message: `"${product.title}" is your own set` });
        } else if (product.priceCents === 0 || !product.currency) {
          issues.push({ path, message: `"${product.title}" is free: download it from its page` });
        } else if (await liveEntitlement(ctx, account.id, product.id)) {
          issues.push({ path, message: `you already own "${product.title}"` });
        } else {
          // A priced set is sold under a paid licence; "free" with a price is sold as Standard.
          const licence = product.license === 'extended' ? 'extended' : 'standard';
          lines.push({ productId: product.id, title: product.title, priceCents: product.priceCents, currency: product.currency, licence });
        }
      }
      if (issues.length > 0) throw new ApiError(409, 'invalid_state', 'Some sets in the cart cannot be bought.', issues);
      const currencies = new Set(lines.map((line) => line.currency));
      if (currencies.size > 1) {
        throw new ApiError(409, 'invalid_state', `One checkout takes one currency; this cart has ${[...currencies].join(', ')}.`);
      }
      const currency = lines[0]!.currency;
      const totalCents = lines.reduce((sum, line) => sum + line.priceCents, 0);
      const titleOf = new Map(lines.map((line) => [line.productId, line.title]));
      // One open checkout per set and account: an older one holding a set of this cart is closed at Stripe
      // first (two tabs or a double click must not charge twice). Serialised per account, so two requests
      // racing cannot both pass.
      const started = await ctx.db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(hashtextextended(${`checkout:${account.id}`}, 0))`.execute(trx);
        const busy: Array<{ path: string; message: string }> = [];
        for (const older of await openCheckoutsHolding(trx, [...titleOf.keys()], account.id)) {
          const closed = older.starting ? 'starting' : await closeCheckout(trx, gateway, older);
          if (closed === 'expired') {
            req.log.info({ checkoutId: older.id }, 'older open checkout of the same sets closed');
            continue;
          }
          for (const productId of older.productIds.filter((id) => titleOf.has(id))) {
            busy.push({
              path: `body.productIds.${body.productIds.indexOf(productId)}`,
              message:
                closed === 'starting'
                  ? `a checkout of "${titleOf.get(productId)}" is starting in another tab: finish or cancel it there`
                  : `a payment for "${titleOf.get(productId)}" is already under way: it is yours once it completes`,
            });
          }
        }
        if (busy.length > 0) return { busy };
        const row = await trx.insertInto('checkouts').values({ accountId: account.id, currency, totalCents, stripeSessionId: null, completedAt: null }).returning('id').executeTakeFirstOrThrow();
        await trx.insertInto('checkoutItems').values(lines.map((line) => ({ checkoutId: row.id, productId: line.productId, priceCents: line.priceCents, licence: line.licence }))).execute();
        return { checkout: row };
      });
      if ('busy' in started) throw new ApiError(409, 'invalid_state', 'Some sets in the cart are already in a checkout being paid.', started.busy);
      const { checkout } = started;
      const origin = storefrontUrl(ctx.selling, req);
      let session;
      try {
        session = await gateway.createCheckoutSession({
          checkoutId: checkout.id,
          currency,
          lines,
          buyerEmail: account.email,
          successUrl: `${origin}/checkout/success?checkout=${checkout.id}`,
          cancelUrl: `${origin}/cart`,
        });
      } catch (error) {
        // Never reached Stripe (or Stripe refused): nothing can pay it, so it must not hold the sets open.
        await ctx.db.updateTable('checkouts').set({ status: 'expired' }).where('id', '=', checkout.id).execute();
        throw error;
      }
      await ctx.db.updateTable('checkouts').set({ stripeSessionId: session.id }).where('id', '=', checkout.id).execute();
      req.log.info({ checkoutId: checkout.id, sets: lines.length, totalCents, currency }, 'checkout started');
      return { status: 201, body: { checkoutId: checkout.id, url: session.url } };
    },
  });

  routes.add({
    method: 'get',
    path: '/checkout/:checkoutId',
    summary: "A checkout of the caller's and its order once paid (the success page polls it)",
    tag: 'selling',
    access: 'signed-in',
    params: z.object({ checkoutId: z.uuid() }),
    responses: { 200: { description: 'The checkout', schema: z.object({ checkout: checkoutSchema }) }, 404: { description: 'Not yours or not found' } },
    async handle({ account, params }) {
      const checkout = await ctx.db
        .selectFrom('checkouts as c')
        .leftJoin('orders as o', 'o.checkoutId', 'c.id')
        .select(['c.id', 'c.status', 'c.currency', 'c.totalCents', 'c.accountId', 'o.id as orderId'])
        .where('c.id', '=', params.checkoutId)
        .executeTakeFirst();
      if (!checkout || checkout.accountId !== account.id) throw notFound('The checkout');
      const items = await ctx.db
        .selectFrom('checkoutItems as ci')
        .innerJoin('products as p', 'p.id', 'ci.productId')
        .select(['ci.productId', 'p.title', 'ci.priceCents'])
        .where('ci.checkoutId', '=', checkout.id)
        .orderBy('p.title')
        .execute();
      const { accountId: _account, ...rest } = checkout;
      return { body: { checkout: { ...rest, items } } };
    },
  });
}

/**
 * POST /api/stripe/webhook, mounted before the JSON body parser: the signature covers the exact bytes
 * Stripe sent, so the handler takes the raw body. Not a RouteTable route (no session, no JSON parsing);
 * CSRF-exempt (CSRF_EXEMPT_PATHS). Replies 400 to a bad signature, 200 once the event is applied or was
 * applied before, 500 (Stripe retries) when applying failed and rolled back.
 */
export function mountStripeWebhook(app: Express, ctx: ApiContext): void {
  app.post(STRIPE_WEBHOOK_PATH, express.raw({ type: () => true, limit: MAX_API_JSON_BYTES }), async (req, res) => {
    const gateway = ctx.selling.gateway;
    if (!gateway) throw paymentsUnavailable();
    const signature = req.headers['stripe-signature'];
    if (typeof signature !== 'string' || !Buffer.isBuffer(req.body)) {
      throw new ApiError(400, 'validation_failed', 'A Stripe webhook needs its Stripe-Signature header and a body.');
    }
    let event;
    try {
      event = gateway.verifyWebhook(req.body, signature);
    } catch (error) {
      req.log.warn({ err: error }, 'stripe webhook signature rejected');
      throw new ApiError(400, 'validation_failed', 'The Stripe signature does not match this body.');
    }
    const outcome = await ctx.db.transaction().execute((trx) => applyStripeEvent(trx, event, ctx.selling.commissionPercent, gateway));
    req.log.info({ eventId: event.id, type: event.type, outcome }, 'stripe event');
    res.status(200).json({ received: true, outcome });
  });
}


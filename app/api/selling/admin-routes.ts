/** Admins: sales per contributor, recent orders, and refunds (through Stripe; its webhook revokes). */
import { sql } from 'kysely';
import { z } from 'zod';
import { contributorBalances } from '../../../core/selling/ledger.ts';
import type { ApiContext } from '../context.ts';
import { ApiError, invalidState, notFound } from '../http/errors.ts';
import type { RouteTable } from '../http/route.ts';
import { paymentsUnavailable } from './checkout-routes.ts';

const money = z.object({ currency: z.string(), cents: z.number().int() });

export function sellingAdminRoutes(routes: RouteTable, ctx: ApiContext): void {
  routes.add({
    method: 'get',
    path: '/admin/sales',
    summary: 'Sales per contributor and currency: gross, commission, earnings, refunds, balance owed',
    tag: 'admin',
    access: ['admin'],
    responses: {
      200: {
        description: 'One row per contributor and currency',
        schema: z.object({
          items: z.array(
            z.object({
              contributor: z.object({ id: z.uuid(), slug: z.string(), displayName: z.string() }),
              currency: z.string(),
              sales: z.number().int(),
              refunds: z.number().int(),
              grossCents: z.number().int(),
              platformCents: z.number().int(),
              contributorCents: z.number().int(),
              balanceCents: z.number().int(),
            }),
          ),
        }),
      },
    },
    async handle() {
      const rows = await ctx.db
        .selectFrom('orderItems as oi')
        .innerJoin('orders as o', 'o.id', 'oi.orderId')
        .innerJoin('contributors as c', 'c.id', 'oi.contributorId')
        .select([
          'c.id',
          'c.slug',
          'c.displayName',
          'o.currency',
          sql<string>`count(*) filter (where o.status = 'paid')`.as('sales'),
          sql<string>`count(*) filter (where o.status = 'refunded')`.as('refunds'),
          sql<string>`coalesce(sum(oi.price_cents) filter (where o.status = 'paid'), 0)`.as('gross'),
          sql<string>`coalesce(sum(oi.platform_cents) filter (where o.status = 'paid'), 0)`.as('platform'),
          sql<string>`coalesce(sum(oi.contributor_cents) filter (where o.status = 'paid'), 0)`.as('earnings'),
        ])
        .groupBy(['c.id', 'c.slug', 'c.displayName', 'o.currency'])
        .orderBy('c.displayName')
        .execute();
      const balances = await contributorBalances(ctx.db);
      return {
        body: {
          items: rows.map((row) => ({
            contributor: { id: row.id, slug: row.slug, displayName: row.displayName },
            currency: row.currency,
            sales: Number(row.sales),
            refunds: Number(row.refunds),
            grossCents: Number(row.gross),
            platformCents: Number(row.platform),
            contributorCents: Number(row.earnings),
            balanceCents: balances.find((b) => b.contributorId === row.id && b.currency === row.currency)?.balanceCents ?? 0,
          })),
        },
      };
    },
  });

  routes.add({
    method: 'get',
    path: '/admin/orders',
    summary: 'Recent orders with their buyer and sets, newest first',
    tag: 'admin',
    access: ['admin'],
    query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
    responses: {
      200: {
        description: 'Orders',
        schema: z.object({
          items: z.array(
            z.object({
              id: z.uuid(),
              buyerEmail: z.string(),
              status: z.enum(['paid', 'refunded']),
              total: money,
              createdAt: z.iso.datetime({ offset: true }),
              sets: z.array(z.string()),
            }),
          ),
        }),
      },
    },
    async handle({ query }) {
      const rows = await ctx.db
        .selectFrom('orders as o')
        .innerJoin('accounts as a', 'a.id', 'o.accountId')
        .select((eb) => [
          'o.id',
          'a.email as buyerEmail',
          'o.status',
          'o.currency',
          'o.totalCents',
          'o.createdAt',
          eb
            .selectFrom('orderItems as oi')
            .innerJoin('products as p', 'p.id', 'oi.productId')
            .select(sql<string[]>`array_agg(p.title order by p.title)`.as('t'))
            .whereRef('oi.orderId', '=', 'o.id')
            .as('sets'),
        ])
        .orderBy('o.createdAt', 'desc')
        .limit(query.limit)
        .execute();
      return {
        body: {
          items: rows.map((row) => ({
            id: row.id,
            buyerEmail: row.buyerEmail,
            status: row.status,
            total: { currency: row.currency, cents: row.totalCents },
            createdAt: row.createdAt,
            sets: row.sets ?? [],
          })),
        },
      };
    },
  });

  routes.add({
    method: 'post',
    path: '/admin/orders/:orderId/refund',
    summary: "Refund a whole order through Stripe; Stripe's charge.refunded webhook then revokes its licences",
    tag: 'admin',
    access: ['admin'],
    params: z.object({ orderId: z.uuid() }),
    body: z.object({ reason: z.string().trim().min(1).max(500) }).strict(),
    responses: {
      202: { description: 'Stripe accepted the refund; the licences go when its webhook arrives', schema: z.object({ refund: z.object({ id: z.uuid(), status: z.string() }) }) },
      404: { description: 'No such order' },
      409: { description: 'Already refunded' },
      503: { description: 'Payments are not configured' },
    },
    async handle({ account, params, body }) {
      const gateway = ctx.selling.gateway;
      if (!gateway) throw paymentsUnavailable();
      const order = await ctx.db.selectFrom('orders').selectAll().where('id', '=', params.orderId).executeTakeFirst();
      if (!order) throw notFound('The order');
      if (order.status === 'refunded') throw invalidState('This order is refunded already.');
      if (!order.stripePaymentIntentId) throw invalidState('This order has no Stripe payment to refund.');
      // One refund row per order: a retry (timeout, double click) asks Stripe again with the same idempotency key.
      await ctx.db
        .insertInto('refunds')
        .values({ orderId: order.id, amountCents: order.totalCents, currency: order.currency, reason: body.reason, requestedBy: account.id, status: 'requested', stripeRefundId: null, completedAt: null })
        .onConflict((oc) => oc.column('orderId').doNothing())
        .execute();
      const refund = await ctx.db.selectFrom('refunds').select(['id', 'status']).where('orderId', '=', order.id).executeTakeFirstOrThrow();
      if (refund.status === 'succeeded') throw invalidState('This order is refunded already.');
      let stripeRefund;
      try {
        stripeRefund = await gateway.refund(order.stripePaymentIntentId, refund.id);
      } catch (error) {
        throw new ApiError(502, 'internal', `Stripe refused the refund: ${(error as Error).message}`);
      }
      await ctx.db.updateTable('refunds').set({ stripeRefundId: stripeRefund.id }).where('id', '=', refund.id).where('stripeRefundId', 'is', null).execute();
      return { status: 202, body: { refund: { id: refund.id, status: stripeRefund.status ?? 'pending' } } };
    },
  });
}

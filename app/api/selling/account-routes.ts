/**
 * The buyer's purchases and licences, a set's access for the signed-in account (what the set page shows:
 * Buy or Download), and the contributor's money: sales, earnings, balance, payouts and Stripe Connect
 * Express onboarding.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import { contributorBalances } from '../../../core/selling/ledger.ts';
import { findProductRow } from '../catalog/products.ts';
import { isAdmin, isOwner, type ApiContext } from '../context.ts';
import { ApiError, notFound } from '../http/errors.ts';
import type { RouteTable } from '../http/route.ts';
import { paymentsUnavailable } from './checkout-routes.ts';
import { liveEntitlement } from './entitlements.ts';
import { storefrontUrl } from './settings.ts';

const licence = z.enum(['free', 'standard', 'extended']);
const timestamp = z.iso.datetime({ offset: true });

export function sellingAccountRoutes(routes: RouteTable, ctx: ApiContext): void {
  routes.add({
    method: 'get',
    path: '/me/access/:productId',
    summary: 'What the signed-in account may do with a set: download it (and under which licence) or buy it',
    tag: 'selling',
    access: 'signed-in',
    params: z.object({ productId: z.uuid() }),
    responses: {
      200: {
        description: 'The access',
        schema: z.object({
          access: z.object({
            download: z.boolean(),
            licence: licence.nullable(),
            reason: z.enum(['owner', 'admin', 'purchased', 'free', 'buy', 'own-set']),
          }),
        }),
      },
      404: { description: 'Not found or not visible' },
    },
    async handle({ account, params }) {
      const product = await findProductRow(ctx.db, params.productId);
      if (!product) throw notFound('The set');
      const visible = product.published && product.status === 'ready' && !product.blocked;
      if (isOwner(account, product.contributorId)) return { body: { access: { download: true, licence: null, reason: 'owner' as const } } };
      if (isAdmin(account)) return { body: { access: { download: true, licence: null, reason: 'admin' as const } } };
      const held = await liveEntitlement(ctx, account.id, product.id);
      if (held && !product.blocked) return { body: { access: { download: true, licence: held.licence, reason: held.licence === 'free' ? ('free' as const) : ('purchased' as const) } } };
      if (!visible) throw notFound('The set');
      if (product.priceCents === 0) return { body: { access: { download: true, licence: 'free' as const, reason: 'free' as const } } };
      return { body: { access: { download: false, licence: null, reason: 'buy' as const } } };
    },
  });

  routes.add({
    method: 'get',
    path: '/me/purchases',
    summary: "The account's orders and licences (free ones too), newest first",
    tag: 'selling',
    access: 'signed-in',
    responses: {
      200: {
        description: 'Licences with the order that bought them',
        schema: z.object({
          items: z.array(
            z.object({
              entitlementId: z.uuid(),
              productId: z.uuid(),
              title: z.string(),
              licence,
              orderId: z.uuid().nullable(),
              price: z.object({ cents: z.number().int(), currency: z.string() }).nullable(),
              grantedAt: timestamp,
              revokedAt: timestamp.nullable(),
              revokeReason: z.string().nullable(),
            }),
          ),
        }),
      },
    },
    async handle({ account }) {
      const rows = await ctx.db
        .selectFrom('entitlements as e')
        .innerJoin('products as p', 'p.id', 'e.productId')
        .leftJoin('orderItems as oi', 'oi.id', 'e.orderItemId')
        .leftJoin('orders as o', 'o.id', 'oi.orderId')
        .select(['e.id', 'e.productId', 'p.title', 'e.licence', 'oi.orderId', 'oi.priceCents', 'o.currency', 'e.grantedAt', 'e.revokedAt', 'e.revokeReason'])
        .where('e.accountId', '=', account.id)
        .orderBy('e.grantedAt', 'desc')
        .limit(500)
        .execute();
      return {
        body: {
          items: rows.map((row) => ({
            entitlementId: row.id,
            productId: row.productId,
            title: row.title,
            licence: row.licence,
            orderId: row.orderId,
            price: row.priceCents !== null && row.currency ? { cents: row.priceCents, currency: row.currency } : null,
            grantedAt: row.grantedAt,
            revokedAt: row.revokedAt,
            revokeReason: row.revokeReason,
          })),
        },
      };
    },
  });

  const connectSchema = z.object({ status: z.enum(['none', 'onboarding', 'enabled']), accountId: z.string().nullable() });

  routes.add({
    method: 'get',
    path: '/me/earnings',
    summary: "The contributor's sales, earnings, balance owed, payouts and payout account",
    tag: 'selling',
    access: ['contributor'],
    responses: {
      200: {
        description: 'Earnings',
        schema: z.object({
          commissionPercent: z.number(),
          totals: z.array(z.object({ currency: z.string(), sales: z.number().int(), grossCents: z.number().int(), earningsCents: z.number().int(), balanceCents: z.number().int() })),
          sales: z.array(
            z.object({ title: z.string(), priceCents: z.number().int(), earningsCents: z.number().int(), currency: z.string(), refunded: z.boolean(), soldAt: timestamp }),
          ),
          payouts: z.array(z.object({ id: z.uuid(), amountCents: z.number().int(), currency: z.string(), status: z.string(), createdAt: timestamp })),
          connect: connectSchema,
        }),
      },
    },
    async handle({ account }) {
      const contributorId = account.contributor!.id;
      const sales = await ctx.db
        .selectFrom('orderItems as oi')
        .innerJoin('orders as o', 'o.id', 'oi.orderId')
        .innerJoin('products as p', 'p.id', 'oi.productId')
        .select(['p.title', 'oi.priceCents', 'oi.contributorCents', 'o.currency', 'o.status', 'o.createdAt'])
        .where('oi.contributorId', '=', contributorId)
        .orderBy('o.createdAt', 'desc')
        .limit(100)
        .execute();
      const totals = await ctx.db
        .selectFrom('orderItems as oi')
        .innerJoin('orders as o', 'o.id', 'oi.orderId')
        .select(['o.currency', sql<string>`count(*)`.as('sales'), sql<string>`sum(oi.price_cents)`.as('gross'), sql<string>`sum(oi.contributor_cents)`.as('earnings')])
        .where('oi.contributorId', '=', contributorId)
        .where('o.status', '=', 'paid')
        .groupBy('o.currency')
        .execute();
      const balances = await contributorBalances(ctx.db, contributorId);
      const currencies = [...new Set([...totals.map((t) => t.currency), ...balances.map((b) => b.currency)])].sort();
      const payouts = await ctx.db
        .selectFrom('payouts')
        .select(['id', 'amountCents', 'currency', 'status', 'createdAt'])
        .where('contributorId', '=', contributorId)
        .orderBy('createdAt', 'desc')
        .limit(50)
        .execute();
      const connect = await ctx.db.selectFrom('connectAccounts').selectAll().where('contributorId', '=', contributorId).executeTakeFirst();
      return {
        body: {
          commissionPercent: ctx.selling.commissionPercent,
          totals: currencies.map((currency) => {
            const total = totals.find((t) => t.currency === currency);
            return {
              currency,
              sales: Number(total?.sales ?? 0),
              grossCents: Number(total?.gross ?? 0),
              earningsCents: Number(total?.earnings ?? 0),
              balanceCents: balances.find((b) => b.currency === currency)?.balanceCents ?? 0,
            };
          }),
          sales: sales.map((s) => ({ title: s.title, priceCents: s.priceCents, earningsCents: s.contributorCents, currency: s.currency, refunded: s.status === 'refunded', soldAt: s.createdAt })),
          payouts,
          connect: {
            status: !connect ? ('none' as const) : connect.payoutsEnabled ? ('enabled' as const) : ('onboarding' as const),
            accountId: connect?.stripeAccountId ?? null,
          },
        },
      };
    },
  });

  routes.add({
    method: 'post',
    path: '/me/connect/onboarding',
    summary: 'A Stripe Connect Express onboarding link for payouts (creates the account on first use)',
    tag: 'selling',
    access: ['contributor'],
    responses: {
      201: { description: "Stripe's onboarding page", schema: z.object({ url: z.url() }) },
      503: { description: 'Payments are not configured' },
    },
    async handle({ account, req }) {
      const gateway = ctx.selling.gateway;
      if (!gateway) throw paymentsUnavailable();
      // Payouts go to the person behind the address Stripe is given: it must be proven first (issue 14).
      if (!account.emailVerified) throw new ApiError(403, 'forbidden', 'Confirm your e-mail address (the link we mailed you) before setting up payouts.');
      const contributorId = account.contributor!.id;
      let connect = await ctx.db.selectFrom('connectAccounts').select('stripeAccountId').where('contributorId', '=', contributorId).executeTakeFirst();
      if (!connect) {
        // Stripe's idempotency key (connect-<contributor>) makes a retried creation return the same account.
        const stripeAccountId = await gateway.createExpressAccount({ id: contributorId, email: account.email });
        await ctx.db.insertInto('connectAccounts').values({ contributorId, stripeAccountId }).onConflict((oc) => oc.column('contributorId').doNothing()).execute();
        connect = await ctx.db.selectFrom('connectAccounts').select('stripeAccountId').where('contributorId', '=', contributorId).executeTakeFirstOrThrow();
      }
      const origin = storefrontUrl(ctx.selling, req);
      const url = await gateway.onboardingLink(connect.stripeAccountId, `${origin}/dashboard/earnings?connect=done`, `${origin}/dashboard/earnings?connect=retry`);
      return { status: 201, body: { url } };
    },
  });

  routes.add({
    method: 'post',
    path: '/me/connect/refresh',
    summary: "Reads the payout account's onboarding state from Stripe (after returning from onboarding)",
    tag: 'selling',
    access: ['contributor'],
    responses: { 200: { description: 'The payout account', schema: z.object({ connect: connectSchema }) }, 503: { description: 'Payments are not configured' } },
    async handle({ account }) {
      const gateway = ctx.selling.gateway;
      if (!gateway) throw paymentsUnavailable();
      const connect = await ctx.db.selectFrom('connectAccounts').selectAll().where('contributorId', '=', account.contributor!.id).executeTakeFirst();
      if (!connect) return { body: { connect: { status: 'none' as const, accountId: null } } };
      const state = await gateway.accountStatus(connect.stripeAccountId);
      await ctx.db
        .updateTable('connectAccounts')
        .set({ detailsSubmitted: state.detailsSubmitted, payoutsEnabled: state.payoutsEnabled, updatedAt: new Date() })
        .where('contributorId', '=', connect.contributorId)
        .execute();
      return { body: { connect: { status: state.payoutsEnabled ? ('enabled' as const) : ('onboarding' as const), accountId: connect.stripeAccountId } } };
    },
  });
}

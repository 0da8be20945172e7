import { z } from 'zod';
import { now } from '../../../core/catalog/db.ts';
import { PRODUCT_STATUSES } from '../../../core/catalog/index.ts';
import { MAX_BLOCK_REASON_LENGTH } from '../../../core/limits.ts';
import { newestProductsPage, productRows } from '../catalog/products.ts';
import { productDetail, productFor } from '../catalog/routes.ts';
import type { ApiContext } from '../context.ts';
import { closeCheckoutsOfWithdrawnSet } from '../selling/open-checkouts.ts';
import type { RouteTable } from '../http/route.ts';
import { pageOf, pageQuery, queryBoolean } from '../http/schemas.ts';
import { productDetailSchema, productSummarySchema } from '../schemas.ts';

const productParams = z.object({ productId: z.uuid() });
const productBody = z.object({ product: productDetailSchema });

/** Moderation: admins see every set and can block one (unpublished, and not publishable until unblocked). */
export function adminRoutes(routes: RouteTable, ctx: ApiContext): void {
  routes.add({
    method: 'get',
    path: '/admin/products',
    summary: 'Every set, newest first',
    tag: 'admin',
    access: ['admin'],
    query: pageQuery.extend({ status: z.enum(PRODUCT_STATUSES).optional(), blocked: queryBoolean.optional() }),
    responses: { 200: { description: 'A page of sets', schema: pageOf(productSummarySchema) } },
    async handle({ query }) {
      let q = productRows(ctx.db);
      if (query.status) q = q.where('p.status', '=', query.status);
      if (query.blocked !== undefined) {
        q = q.where((eb) => {
          const blocked = eb.exists(eb.selectFrom('productBlocks as b').select('b.productId').whereRef('b.productId', '=', 'p.id'));
          return query.blocked ? blocked : eb.not(blocked);
        });
      }
      return { body: await newestProductsPage(ctx.urls, q, query) };
    },
  });

  routes.add({
    method: 'post',
    path: '/admin/products/:productId/block',
    changesCatalog: true,
    summary: 'Block a set: unpublish it, withdraw its previews, and keep it unpublished',
    tag: 'admin',
    access: ['admin'],
    params: productParams,
    body: z.object({ reason: z.string().trim().min(1).max(MAX_BLOCK_REASON_LENGTH) }).strict(),
    responses: { 200: { description: 'The blocked set', schema: productBody }, 404: { description: 'Not found' } },
    async handle({ account, params, body, req }) {
      const row = await productFor(ctx, account, params.productId);
      // Always a new preview secret: the owner may have shared the old URLs even if it was never published.
      await ctx.exposure.hideSet(row.id, { rotate: 'always' }, async (trx) => {
        await trx
          .insertInto('productBlocks')
          .values({ productId: row.id, reason: body.reason, blockedBy: account.id })
          .onConflict((oc) => oc.column('productId').doUpdateSet({ reason: body.reason, blockedBy: account.id }))
          .execute();
        await trx.updateTable('products').set({ published: false, updatedAt: now() }).where('id', '=', row.id).execute();
      });
      // Checkout pages opened before the block stop taking payment (one paid meanwhile is refunded at fulfilment).
      await closeCheckoutsOfWithdrawnSet(ctx, row.id, req.log);
      return { body: { product: await productDetail(ctx, await productFor(ctx, account, row.id)) } };
    },
  });

  routes.add({
    method: 'delete',
    path: '/admin/products/:productId/block',
    changesCatalog: true,
    summary: 'Lift a block (the set stays unpublished until its owner publishes it)',
    tag: 'admin',
    access: ['admin'],
    params: productParams,
    responses: { 200: { description: 'The set', schema: productBody }, 404: { description: 'Not found' } },
    async handle({ account, params }) {
      const row = await productFor(ctx, account, params.productId);
      await ctx.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('productBlocks').where('productId', '=', row.id).execute();
        await trx.updateTable('products').set({ updatedAt: now() }).where('id', '=', row.id).execute();
      });
      return { body: { product: await productDetail(ctx, await productFor(ctx, account, row.id)) } };
    },
  });
}

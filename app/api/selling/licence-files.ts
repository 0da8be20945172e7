/**
 * The LICENSE.txt of an entitlement, made from the database on each request and never stored: a few KB
 * of text beside the one shared set ZIP (downloads/routes.ts), so a buyer costs no storage.
 */
import { licenceText } from '../../../core/selling/licence-text.ts';
import type { ApiContext } from '../context.ts';
import { notFound } from '../http/errors.ts';

export async function entitlementLicenceText(ctx: ApiContext, entitlementId: string, storefrontUrl: string): Promise<{ text: string; accountId: string }> {
  const row = await ctx.db
    .selectFrom('entitlements as e')
    .innerJoin('products as p', 'p.id', 'e.productId')
    .innerJoin('contributors as c', 'c.id', 'p.contributorId')
    .innerJoin('accounts as a', 'a.id', 'e.accountId')
    .leftJoin('orderItems as oi', 'oi.id', 'e.orderItemId')
    .select(['e.accountId', 'e.licence', 'e.grantedAt', 'p.id as productId', 'p.title', 'c.displayName as contributorName', 'c.slug', 'a.displayName', 'a.email', 'oi.orderId'])
    .where('e.id', '=', entitlementId)
    .executeTakeFirst();
  if (!row) throw notFound('The licence');
  const text = licenceText({
    licence: row.licence,
    set: { id: row.productId, title: row.title },
    contributor: { displayName: row.contributorName, slug: row.slug },
    buyer: { displayName: row.displayName, email: row.email },
    orderId: row.orderId,
    grantedAt: row.grantedAt,
    storefrontUrl,
  });
  return { text, accountId: row.accountId };
}

/**
 * Who may download a set, and under which entitlement. A set's own contributor and admins always may
 * (no entitlement: nothing was licensed). Anyone else needs a live entitlement: a free set grants one to
 * any signed-in account on its first download (free licence, good only while the set stays free); a paid
 * set only by a purchase. A buyer
 * keeps access to a bought set that was unpublished later, but not to one an admin blocked.
 */
import type { SessionAccount } from '../auth/accounts.ts';
import { findProductRow, type ProductRow } from '../catalog/products.ts';
import { isAdmin, isOwner, type ApiContext } from '../context.ts';
import { ApiError, invalidState, notFound } from '../http/errors.ts';
import type { Licence } from '../../../core/selling/schema.ts';

export interface Entitlement {
  id: string;
  licence: Licence;
  orderId: string | null;
  grantedAt: Date;
}

export interface DownloadAccess {
  product: ProductRow;
  /** Null for the set's contributor and admins. */
  entitlement: Entitlement | null;
}

/**
 * The account's entitlement to a set that grants access now: a bought one (until refunded or charged back),
 * or a free licence while the set is still free. A free licence taken during a free period does not carry
 * over once the contributor prices the set (it counts again if the set goes back to free): the buyer then
 * needs the paid licence, and checkout offers it (a purchase supersedes the free licence).
 */
export function liveEntitlement(ctx: ApiContext, accountId: string, productId: string): Promise<Entitlement | undefined> {
  return ctx.db
    .selectFrom('entitlements as e')
    .innerJoin('products as p', 'p.id', 'e.productId')
    .leftJoin('orderItems as oi', 'oi.id', 'e.orderItemId')
    .select(['e.id', 'e.licence', 'oi.orderId', 'e.grantedAt'])
    .where('e.accountId', '=', accountId)
    .where('e.productId', '=', productId)
    .where('e.revokedAt', 'is', null)
    .where((eb) => eb.or([eb('e.licence', '<>', 'free'), eb('p.priceCents', '=', 0)]))
    .executeTakeFirst();
}

/** The set's own page, where its Buy button is. */
export function setPagePath(productId: string): string {
  return `/sets/${productId}`;
}

export function priceText(cents: number, currency: string): string {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(cents / 100);
}

/** May this account download from this set? Throws the reply that says why not and what to do. */
export async function downloadAccess(ctx: ApiContext, account: SessionAccount, productId: string): Promise<DownloadAccess> {
  const product = await findProductRow(ctx.db, productId);
  if (!product) throw notFound('The set');
  if (isOwner(account, product.contributorId) || isAdmin(account)) {
    if (product.status !== 'ready') throw invalidState('The set is not ready to download yet.');
    return { product, entitlement: null };
  }
  const visible = product.published && product.status === 'ready' && !product.blocked;
  const held = await liveEntitlement(ctx, account.id, product.id);
  if (held && product.status === 'ready' && !product.blocked) return { product, entitlement: held };
  if (!visible) throw notFound('The set');
  if (product.priceCents === 0) return { product, entitlement: await grantFreeLicence(ctx, account.id, product.id) };
  throw new ApiError(
    402,
    'payment_required',
    `"${product.title}" is a paid set (${priceText(product.priceCents, product.currency ?? 'USD')}, ${product.license} licence): ` +
      `buy it on its page to download it. After checkout it is in your account.`,
    undefined,
    { label: 'Buy this set', href: setPagePath(product.id) },
  );
}

/** The free licence of a free set for this account, granted now if it had none (concurrent calls share one). */
async function grantFreeLicence(ctx: ApiContext, accountId: string, productId: string): Promise<Entitlement> {
  await ctx.db
    .insertInto('entitlements')
    .values({ accountId, productId, licence: 'free', orderItemId: null })
    .onConflict((oc) => oc.columns(['accountId', 'productId']).where('revokedAt', 'is', null).doNothing())
    .execute();
  const entitlement = await liveEntitlement(ctx, accountId, productId);
  if (!entitlement) throw new Error(`free entitlement of ${accountId} for ${productId} vanished`);
  return entitlement;
}

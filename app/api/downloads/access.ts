/**
 * Whether an account may take a set's files outside `POST /api/downloads` (Copy SVG, customised renders):
 * the same rule as downloads (app/api/selling/entitlements.ts `downloadAccess`), as a yes or no. A free set
 * is anyone's (Copy SVG works signed out, as on the free icon sites); a paid set is its contributor's, an
 * admin's, or a buyer's with a live (not refunded) entitlement.
 */
import type { SessionAccount } from '../auth/accounts.ts';
import { findProductRow, type ProductRow } from '../catalog/products.ts';
import { isAdmin, isOwner, type ApiContext } from '../context.ts';
import { liveEntitlement } from '../selling/entitlements.ts';

/** What the decision reads of a set. */
export interface DownloadableProduct {
  id: string;
  contributorId: string;
  priceCents: number;
}

/** For a set visible to the account (`productFor`): whether it may take the set's files. */
export async function canDownload(ctx: ApiContext, account: SessionAccount | null, product: DownloadableProduct): Promise<boolean> {
  if (product.priceCents === 0) return true;
  if (account === null) return false;
  if (isOwner(account, product.contributorId) || isAdmin(account)) return true;
  return (await liveEntitlement(ctx, account.id, product.id)) !== undefined;
}

/**
 * The set behind Copy SVG and customised renders, and whether the account may take its files; undefined when
 * the set is not there for the account (the caller answers 404). As `downloadAccess`: the storefront's sets,
 * the contributor's and admins' own view, and a set its buyer holds a live licence of, even after it was
 * unpublished (while it is ready and not blocked).
 */
export async function fileAccess(ctx: ApiContext, account: SessionAccount | null, productId: string): Promise<{ product: ProductRow; allowed: boolean } | undefined> {
  const product = await findProductRow(ctx.db, productId);
  if (!product) return undefined;
  const visible = product.published && product.status === 'ready' && !product.blocked;
  if (visible || isOwner(account, product.contributorId) || isAdmin(account)) return { product, allowed: await canDownload(ctx, account, product) };
  const held = account !== null && product.status === 'ready' && !product.blocked && (await liveEntitlement(ctx, account.id, product.id)) !== undefined;
  return held ? { product, allowed: true } : undefined;
}

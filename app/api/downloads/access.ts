/**
 * Whether an account may take a set's files outside `POST /api/downloads` (Copy SVG, customised renders):
 * the same rule as downloads (app/api/selling/entitlements.ts `downloadAccess`), as a yes or no. A free set
 * is anyone's (Copy SVG works signed out, as on the free icon sites); a paid set is its contributor's, an
 * admin's, or a buyer's with a live (not refunded) entitlement. The caller has already checked that the set
 * is visible to the account (`productFor`).
 */
import type { SessionAccount } from '../auth/accounts.ts';
import { isAdmin, isOwner, type ApiContext } from '../context.ts';
import { liveEntitlement } from '../selling/entitlements.ts';

/** What the decision reads of a set. */
export interface DownloadableProduct {
  id: string;
  contributorId: string;
  priceCents: number;
}

export async function canDownload(ctx: ApiContext, account: SessionAccount | null, product: DownloadableProduct): Promise<boolean> {
  if (product.priceCents === 0) return true;
  if (account === null) return false;
  if (isOwner(account, product.contributorId) || isAdmin(account)) return true;
  return (await liveEntitlement(ctx, account.id, product.id)) !== undefined;
}

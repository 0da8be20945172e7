/**
 * Who may take a set's files (downloads, customised renders, Copy SVG): the ONE place that decides it, so
 * orders and entitlements (issue 12) replace this body and every caller follows.
 *
 * For now: anyone, signed in or not, for a free set; for a paid set its contributor, and any signed-in
 * account, which is what the download route allowed before orders existed. The caller has already checked
 * that the set is visible to the account (`productFor`).
 */
import type { SessionAccount } from '../auth/accounts.ts';
import { isOwner, type ApiContext } from '../context.ts';

/** What the decision reads of a set. */
export interface DownloadableProduct {
  id: string;
  contributorId: string;
  priceCents: number;
}

export async function canDownload(_ctx: ApiContext, account: SessionAccount | null, product: DownloadableProduct): Promise<boolean> {
  if (product.priceCents === 0) return true;
  if (isOwner(account, product.contributorId)) return true;
  return account !== null;
}

import { redirect } from 'next/navigation';
import type { Account } from './api-types.ts';
import { currentAccount } from './server-api.ts';

/** The signed-in contributor, or a redirect to sign-in that comes back to `returnTo`. */
export async function requireContributor(returnTo: string): Promise<Account | null> {
  const account = await currentAccount();
  if (!account) redirect(`/signin?next=${encodeURIComponent(returnTo)}`);
  return account.role === 'contributor' ? account : null;
}

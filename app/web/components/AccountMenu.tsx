'use client';
/**
 * Who is signed in, read in the browser: keeps every storefront page independent of the visitor's
 * cookie, so the server renders the same HTML for everyone. Without JS the visitor sees "Sign in".
 */
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { z } from 'zod';
import { responses, type Account } from '../lib/api-types.ts';
import { apiRequest } from '../lib/client-api.ts';

export function AccountMenu() {
  const [account, setAccount] = useState<Account | null | undefined>(undefined);

  useEffect(() => {
    apiRequest('GET', '/api/auth/me', responses.me)
      .then(({ account }) => setAccount(account))
      .catch(() => setAccount(null));
  }, []);

  async function signOut() {
    await apiRequest('POST', '/api/auth/signout', z.unknown()).catch(() => undefined);
    window.location.assign('/');
  }

  if (!account) {
    return (
      <nav className="account" aria-label="Account">
        <Link href="/signin" prefetch={false}>Sign in</Link>
        <Link href="/signup" className="button button-small" prefetch={false}>
          Sell your icons
        </Link>
      </nav>
    );
  }
  return (
    <nav className="account" aria-label="Account">
      {account.role === 'contributor' && <Link href="/dashboard" prefetch={false}>Dashboard</Link>}
      {account.role === 'contributor' && <Link href="/dashboard/earnings" prefetch={false}>Earnings</Link>}
      <Link href="/cart" prefetch={false}>Cart</Link>
      <Link href="/account" prefetch={false}>Account</Link>
      <span className="account-name">{account.displayName}</span>
      <button type="button" className="link-button" onClick={signOut}>
        Sign out
      </button>
    </nav>
  );
}

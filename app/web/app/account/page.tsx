'use client';
/** The buyer's purchases (licences) and download history, read in the browser with their session. */
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { z } from 'zod';
import { AccountSecurity } from '../../components/AccountSecurity.tsx';
import { apiRequest, ClientApiError } from '../../lib/client-api.ts';

const purchasesSchema = z.object({
  items: z.array(
    z.object({
      entitlementId: z.string(),
      productId: z.string(),
      title: z.string(),
      licence: z.string(),
      orderId: z.string().nullable(),
      price: z.object({ cents: z.number(), currency: z.string() }).nullable(),
      grantedAt: z.string(),
      revokedAt: z.string().nullable(),
    }),
  ),
});
const downloadsSchema = z.object({
  items: z.array(z.object({ id: z.string(), productId: z.string(), productTitle: z.string(), format: z.string(), size: z.number().nullable(), createdAt: z.string() })),
});

const money = (cents: number, currency: string) => new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(cents / 100);

export default function AccountPage() {
  const [purchases, setPurchases] = useState<z.infer<typeof purchasesSchema>['items'] | null>(null);
  const [downloads, setDownloads] = useState<z.infer<typeof downloadsSchema>['items']>([]);

  useEffect(() => {
    apiRequest('GET', '/api/me/purchases', purchasesSchema)
      .then(({ items }) => setPurchases(items))
      .catch((error) => {
        if (error instanceof ClientApiError && error.status === 401) window.location.assign('/signin?next=/account');
      });
    apiRequest('GET', '/api/me/downloads?limit=50', downloadsSchema)
      .then(({ items }) => setDownloads(items))
      .catch(() => undefined);
  }, []);

  return (
    <section>
      <h1>Your account</h1>
      <h2>Purchases and licences</h2>
      {purchases === null ? (
        <p className="muted">…</p>
      ) : purchases.length === 0 ? (
        <p>
          Nothing yet. <Link href="/browse">Browse sets</Link>
        </p>
      ) : (
        <table className="data-table">
          <thead>
            <tr>
              <th>Set</th>
              <th>Licence</th>
              <th>Price</th>
              <th>Order</th>
              <th>Since</th>
              <th>LICENSE.txt</th>
            </tr>
          </thead>
          <tbody>
            {purchases.map((item) => (
              <tr key={item.entitlementId} className={item.revokedAt ? 'muted' : undefined}>
                <td>
                  <Link href={`/sets/${item.productId}`}>{item.title}</Link>
                </td>
                <td>
                  <Link href={`/licence/${item.licence}`}>{item.licence}</Link>
                  {item.revokedAt && ' (ended: refunded)'}
                </td>
                <td>{item.price ? money(item.price.cents, item.price.currency) : 'Free'}</td>
                <td>{item.orderId ?? '—'}</td>
                <td>{item.grantedAt.slice(0, 10)}</td>
                <td>{!item.revokedAt && <a href={`/api/entitlements/${item.entitlementId}/licence.txt`}>Download</a>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Download history</h2>
      {downloads.length === 0 ? (
        <p className="muted">No downloads yet.</p>
      ) : (
        <ul className="download-history">
          {downloads.map((item) => (
            <li key={item.id}>
              {item.createdAt.slice(0, 16).replace('T', ' ')} · <Link href={`/sets/${item.productId}`}>{item.productTitle}</Link> ·{' '}
              {item.format.toUpperCase()}
              {item.size ? ` ${item.size} px` : ''}
            </li>
          ))}
        </ul>
      )}
      <AccountSecurity />
    </section>
  );
}

'use client';
/**
 * The set page's Buy / Download box, for the visitor in the browser (the page itself renders the same for
 * everyone): owners and buyers download the set ZIP, a free set downloads after sign-in, a paid one goes
 * to checkout (now, or through the cart). Signing in from here comes back here. The set ZIP is the same for
 * everyone: the buyer's LICENSE.txt is its own download, offered beside it.
 */
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { z } from 'zod';
import { addToCart } from '../lib/cart.ts';
import { apiRequest, ClientApiError } from '../lib/client-api.ts';

const accessSchema = z.object({
  access: z.object({ download: z.boolean(), licence: z.enum(['free', 'standard', 'extended']).nullable(), reason: z.string() }),
});
const downloadSchema = z.object({ url: z.string(), fileName: z.string(), licenceFile: z.object({ url: z.string() }).nullable() });
const checkoutSchema = z.object({ checkoutId: z.string(), url: z.string() });

export function SetActions({ productId, title, price, free }: { productId: string; title: string; price: string; free: boolean }) {
  const [access, setAccess] = useState<z.infer<typeof accessSchema>['access'] | null | undefined>(undefined);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [licenceFile, setLicenceFile] = useState<string | null>(null);
  const here = `/sets/${productId}`;

  useEffect(() => {
    apiRequest('GET', `/api/me/access/${productId}`, accessSchema)
      .then(({ access }) => setAccess(access))
      .catch(() => setAccess(null));
  }, [productId]);

  async function run(work: () => Promise<void>) {
    setBusy(true);
    setMessage(null);
    try {
      await work();
    } catch (error) {
      if (error instanceof ClientApiError && error.status === 401) window.location.assign(`/signin?next=${encodeURIComponent(here)}`);
      else setMessage(error instanceof ClientApiError && Object.keys(error.fieldIssues).length ? Object.values(error.fieldIssues).join(' ') : (error as Error).message);
    } finally {
      setBusy(false);
    }
  }

  const downloadSet = () =>
    run(async () => {
      const { url, licenceFile } = await apiRequest('POST', '/api/downloads', downloadSchema, { productId, format: 'zip' });
      setLicenceFile(licenceFile?.url ?? null);
      window.location.assign(url);
    });
  const buyNow = () =>
    run(async () => {
      const { url } = await apiRequest('POST', '/api/checkout', checkoutSchema, { productIds: [productId] });
      window.location.assign(url);
    });

  if (access === undefined) return <p className="muted">…</p>;
  return (
    <div className="set-actions">
      {access?.download ? (
        <>
          <button type="button" className="button" disabled={busy} onClick={downloadSet}>
            Download set (ZIP)
          </button>
          {access.reason === 'purchased' && <p className="muted">You own this set ({access.licence} licence).</p>}
          {licenceFile && (
            <p className="muted">
              Your licence for this set: <a href={licenceFile}>LICENSE.txt</a>
            </p>
          )}
        </>
      ) : access === null && free ? (
        <Link className="button" href={`/signin?next=${encodeURIComponent(here)}`}>
          Sign in to download
        </Link>
      ) : (
        <>
          <button type="button" className="button" disabled={busy} onClick={access === null ? () => window.location.assign(`/signin?next=${encodeURIComponent(here)}`) : buyNow}>
            Buy for {price}
          </button>
          <button
            type="button"
            className="button button-secondary"
            onClick={() => {
              addToCart({ productId, title, price });
              setMessage('Added to your cart.');
            }}
          >
            Add to cart
          </button>
        </>
      )}
      {message && (
        <p className="notice" role="status">
          {message} {message === 'Added to your cart.' && <Link href="/cart">View cart</Link>}
        </p>
      )}
    </div>
  );
}

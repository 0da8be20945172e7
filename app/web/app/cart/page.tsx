'use client';
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { z } from 'zod';
import { readCart, writeCart, type CartItem } from '../../lib/cart.ts';
import { apiRequest, ClientApiError } from '../../lib/client-api.ts';

export default function CartPage() {
  const [items, setItems] = useState<CartItem[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => setItems(readCart()), []);

  function remove(productId: string) {
    const left = items.filter((item) => item.productId !== productId);
    writeCart(left);
    setItems(left);
  }

  async function checkout() {
    setBusy(true);
    setError(null);
    try {
      const { url } = await apiRequest('POST', '/api/checkout', z.object({ url: z.string() }), { productIds: items.map((item) => item.productId) });
      window.location.assign(url);
    } catch (caught) {
      if (caught instanceof ClientApiError && caught.status === 401) window.location.assign('/signin?next=/cart');
      else setError(caught instanceof ClientApiError && Object.keys(caught.fieldIssues).length ? Object.values(caught.fieldIssues).join(' ') : (caught as Error).message);
      setBusy(false);
    }
  }

  return (
    <section className="narrow">
      <h1>Cart</h1>
      {items.length === 0 ? (
        <p>
          Your cart is empty. <Link href="/browse">Browse sets</Link>
        </p>
      ) : (
        <>
          <ul className="cart-items">
            {items.map((item) => (
              <li key={item.productId}>
                <Link href={`/sets/${item.productId}`}>{item.title}</Link> <span>{item.price}</span>{' '}
                <button type="button" className="link-button" onClick={() => remove(item.productId)}>
                  Remove
                </button>
              </li>
            ))}
          </ul>
          <p className="muted">Prices are confirmed at checkout. Each set comes with the licence named on its page.</p>
          <button type="button" className="button" disabled={busy} onClick={checkout}>
            Checkout
          </button>
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
        </>
      )}
    </section>
  );
}

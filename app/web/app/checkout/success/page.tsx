'use client';
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { z } from 'zod';
import { readCart, writeCart } from '../../../lib/cart.ts';
import { apiRequest } from '../../../lib/client-api.ts';

const checkoutSchema = z.object({
  checkout: z.object({ status: z.string(), orderId: z.string().nullable(), items: z.array(z.object({ productId: z.string(), title: z.string() })) }),
});
type Checkout = z.infer<typeof checkoutSchema>['checkout'];

/** Stripe sends the buyer here; the order appears once Stripe's webhook has arrived, so this page waits for it. */
export default function CheckoutSuccessPage() {
  const [checkout, setCheckout] = useState<Checkout | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const id = new URLSearchParams(window.location.search).get('checkout') ?? '';
    let stopped = false;
    const poll = async (attempt: number) => {
      try {
        const { checkout } = await apiRequest('GET', `/api/checkout/${encodeURIComponent(id)}`, checkoutSchema);
        if (stopped) return;
        setCheckout(checkout);
        if (checkout.status === 'completed') {
          const bought = new Set(checkout.items.map((item) => item.productId));
          writeCart(readCart().filter((item) => !bought.has(item.productId)));
        } else if (attempt < 60) setTimeout(() => void poll(attempt + 1), 1000);
      } catch (caught) {
        setError((caught as Error).message);
      }
    };
    void poll(0);
    return () => {
      stopped = true;
    };
  }, []);

  return (
    <section className="narrow">
      <h1>{checkout?.status === 'completed' ? 'Thank you: your sets are ready' : 'Confirming your payment…'}</h1>
      {error && <p className="error">{error}</p>}
      {checkout && (
        <ul>
          {checkout.items.map((item) => (
            <li key={item.productId}>
              <Link href={`/sets/${item.productId}`}>{item.title}</Link>
            </li>
          ))}
        </ul>
      )}
      {checkout?.status === 'completed' && (
        <p>
          Order {checkout.orderId}. Download from each set's page or from <Link href="/account">your account</Link>.
        </p>
      )}
    </section>
  );
}

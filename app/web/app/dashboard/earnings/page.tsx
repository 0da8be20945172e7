'use client';
/** The contributor's sales, earnings, balance and payouts, and the Stripe Connect onboarding link. */
import { useEffect, useState } from 'react';
import { z } from 'zod';
import { apiRequest, ClientApiError } from '../../../lib/client-api.ts';

const earningsSchema = z.object({
  commissionPercent: z.number(),
  totals: z.array(z.object({ currency: z.string(), sales: z.number(), grossCents: z.number(), earningsCents: z.number(), balanceCents: z.number() })),
  sales: z.array(z.object({ title: z.string(), priceCents: z.number(), earningsCents: z.number(), currency: z.string(), refunded: z.boolean(), soldAt: z.string() })),
  payouts: z.array(z.object({ id: z.string(), amountCents: z.number(), currency: z.string(), status: z.string(), createdAt: z.string() })),
  connect: z.object({ status: z.enum(['none', 'onboarding', 'enabled']), accountId: z.string().nullable() }),
});

const money = (cents: number, currency: string) => new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(cents / 100);

export default function EarningsPage() {
  const [earnings, setEarnings] = useState<z.infer<typeof earningsSchema> | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const load = async () => {
      if (new URLSearchParams(window.location.search).get('connect') === 'done') {
        await apiRequest('POST', '/api/me/connect/refresh', z.unknown()).catch(() => undefined);
      }
      setEarnings(await apiRequest('GET', '/api/me/earnings', earningsSchema));
    };
    load().catch((caught) => {
      if (caught instanceof ClientApiError && caught.status === 401) window.location.assign('/signin?next=/dashboard/earnings');
      else setError((caught as Error).message);
    });
  }, []);

  async function onboard() {
    try {
      const { url } = await apiRequest('POST', '/api/me/connect/onboarding', z.object({ url: z.string() }));
      window.location.assign(url);
    } catch (caught) {
      setError((caught as Error).message);
    }
  }

  if (error) return <p className="error">{error}</p>;
  if (!earnings) return <p className="muted">…</p>;
  return (
    <section>
      <h1>Earnings</h1>
      <p className="muted">You keep {100 - earnings.commissionPercent} % of each sale; balances are paid out through Stripe once they pass the payout threshold.</p>
      {earnings.totals.length === 0 ? (
        <p>No sales yet.</p>
      ) : (
        <table className="data-table">
          <thead>
            <tr>
              <th>Currency</th>
              <th>Sales</th>
              <th>Sales value</th>
              <th>Your earnings</th>
              <th>Balance</th>
            </tr>
          </thead>
          <tbody>
            {earnings.totals.map((total) => (
              <tr key={total.currency}>
                <td>{total.currency}</td>
                <td>{total.sales}</td>
                <td>{money(total.grossCents, total.currency)}</td>
                <td>{money(total.earningsCents, total.currency)}</td>
                <td>
                  <strong>{money(total.balanceCents, total.currency)}</strong>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Payouts</h2>
      {earnings.connect.status === 'enabled' ? (
        <p>Your payout account is ready.</p>
      ) : (
        <p>
          <button type="button" className="button" onClick={onboard}>
            {earnings.connect.status === 'none' ? 'Set up payouts with Stripe' : 'Finish setting up payouts'}
          </button>
        </p>
      )}
      <ul>
        {earnings.payouts.map((payout) => (
          <li key={payout.id}>
            {payout.createdAt.slice(0, 10)} · {money(payout.amountCents, payout.currency)} · {payout.status}
          </li>
        ))}
      </ul>
      <h2>Recent sales</h2>
      <ul>
        {earnings.sales.map((sale, i) => (
          <li key={i}>
            {sale.soldAt.slice(0, 10)} · {sale.title} · {money(sale.priceCents, sale.currency)} → {money(sale.earningsCents, sale.currency)}
            {sale.refunded && ' (refunded)'}
          </li>
        ))}
      </ul>
    </section>
  );
}

'use client';
/**
 * Admins: sales per contributor (gross, commission, earnings, refunds, balance owed) and recent orders with
 * a refund per order. A refund goes through Stripe (`POST /api/admin/orders/:id/refund`); Stripe's
 * `charge.refunded` webhook then revokes the order's licences and reverses its ledger entries, so the order
 * shows "refunded" once that webhook has arrived. The API refuses everyone but admins.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { z } from 'zod';
import { apiRequest, ClientApiError } from '../../../lib/client-api.ts';

const salesSchema = z.object({
  items: z.array(
    z.object({
      contributor: z.object({ id: z.string(), slug: z.string(), displayName: z.string() }),
      currency: z.string(),
      sales: z.number(),
      refunds: z.number(),
      grossCents: z.number(),
      platformCents: z.number(),
      contributorCents: z.number(),
      balanceCents: z.number(),
    }),
  ),
});
const ordersSchema = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      buyerEmail: z.string(),
      status: z.enum(['paid', 'refunded']),
      total: z.object({ currency: z.string(), cents: z.number() }),
      createdAt: z.string(),
      sets: z.array(z.string()),
    }),
  ),
});

const money = (cents: number, currency: string) => new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(cents / 100);

export default function AdminSalesPage() {
  const [sales, setSales] = useState<z.infer<typeof salesSchema>['items'] | null>(null);
  const [orders, setOrders] = useState<z.infer<typeof ordersSchema>['items']>([]);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [refunding, setRefunding] = useState<string | null>(null);

  const load = useCallback(async () => {
    const [salesResponse, ordersResponse] = await Promise.all([
      apiRequest('GET', '/api/admin/sales', salesSchema),
      apiRequest('GET', '/api/admin/orders?limit=100', ordersSchema),
    ]);
    setSales(salesResponse.items);
    setOrders(ordersResponse.items);
  }, []);

  useEffect(() => {
    load().catch((caught) => {
      if (caught instanceof ClientApiError && caught.status === 401) window.location.assign('/signin?next=/admin/sales');
      else setError((caught as Error).message);
    });
  }, [load]);

  async function refund(event: FormEvent<HTMLFormElement>, orderId: string) {
    event.preventDefault();
    const reason = String(new FormData(event.currentTarget).get('reason') ?? '').trim();
    setRefunding(orderId);
    setNotice(null);
    try {
      await apiRequest('POST', `/api/admin/orders/${orderId}/refund`, z.object({ refund: z.object({ id: z.string(), status: z.string() }) }), { reason });
      setNotice('Stripe accepted the refund. The order shows as refunded, and its licences are revoked, once Stripe confirms it.');
      await load();
    } catch (caught) {
      setNotice((caught as Error).message);
    } finally {
      setRefunding(null);
    }
  }

  if (error) return <p className="error">{error}</p>;
  if (!sales) return <p className="muted">…</p>;
  return (
    <section>
      <h1>Sales</h1>
      {sales.length === 0 ? (
        <p>No sales yet.</p>
      ) : (
        <table className="data-table" aria-label="Sales per contributor">
          <thead>
            <tr>
              <th>Contributor</th>
              <th>Currency</th>
              <th>Sales</th>
              <th>Refunds</th>
              <th>Gross</th>
              <th>Commission</th>
              <th>Contributor share</th>
              <th>Balance owed</th>
            </tr>
          </thead>
          <tbody>
            {sales.map((row) => (
              <tr key={`${row.contributor.id}-${row.currency}`}>
                <td>
                  <a href={`/contributors/${row.contributor.slug}`}>{row.contributor.displayName}</a>
                </td>
                <td>{row.currency}</td>
                <td>{row.sales}</td>
                <td>{row.refunds}</td>
                <td>{money(row.grossCents, row.currency)}</td>
                <td>{money(row.platformCents, row.currency)}</td>
                <td>{money(row.contributorCents, row.currency)}</td>
                <td>{money(row.balanceCents, row.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Orders</h2>
      {notice && (
        <p role="status" className="muted">
          {notice}
        </p>
      )}
      {orders.length === 0 ? (
        <p>No orders yet.</p>
      ) : (
        <table className="data-table" aria-label="Orders">
          <thead>
            <tr>
              <th>Date</th>
              <th>Buyer</th>
              <th>Sets</th>
              <th>Total</th>
              <th>Status</th>
              <th>Refund</th>
            </tr>
          </thead>
          <tbody>
            {orders.map((order) => (
              <tr key={order.id}>
                <td>{order.createdAt.slice(0, 10)}</td>
                <td>{order.buyerEmail}</td>
                <td>{order.sets.join(', ')}</td>
                <td>{money(order.total.cents, order.total.currency)}</td>
                <td>{order.status}</td>
                <td>
                  {order.status === 'paid' ? (
                    <form onSubmit={(event) => refund(event, order.id)}>
                      <label>
                        <span className="visually-hidden">Reason for refunding order {order.id}</span>
                        <input name="reason" required maxLength={500} placeholder="Reason" />
                      </label>{' '}
                      <button type="submit" className="button" disabled={refunding === order.id}>
                        Refund
                      </button>
                    </form>
                  ) : (
                    '—'
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

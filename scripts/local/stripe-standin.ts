/**
 * A stand-in for Stripe's servers, for `npm start` and tests (Stripe cannot be reached from here). It
 * answers the API calls the marketplace makes (core/selling/stripe-gateway.ts) in Stripe's shapes, and
 * serves the pages Stripe would host: a checkout page whose "Pay" sends `checkout.session.completed`
 * (and whose "Pay by bank transfer" completes it unpaid, a delayed payment that settles a moment later
 * with `checkout.session.async_payment_succeeded`), and a Connect onboarding page. Expiring a session
 * sends `checkout.session.expired`; `openDispute()` and `closeDispute()` play a chargeback
 * (`charge.dispute.created`, then `charge.dispute.closed`). Every event is signed exactly as Stripe signs webhooks
 * (Stripe.webhooks.generateTestHeaderString with the endpoint's secret) and POSTed to the marketplace's
 * own webhook route, so everything after a payment runs production's code path.
 * Nothing is stored on disk: sessions and accounts live as long as the process.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type Request, type Response } from 'express';
import Stripe from 'stripe';

export interface StripeStandInOptions {
  /** The secret key the API must send (Authorization: Bearer). */
  secretKey: string;
  /** The webhook endpoint's signing secret. */
  webhookSecret: string;
  /** Where events go (the API's /api/stripe/webhook); settable later with `webhookUrl`. */
  webhookUrl?: string;
  /** The origin browsers reach the hosted pages on (`/_local/checkout/...`); default: the stand-in's own. */
  publicUrl?: string;
  host?: string;
  port?: number;
}

export interface StandInRequest {
  method: string;
  path: string;
  body: Record<string, unknown>;
  idempotencyKey: string | undefined;
}

interface Session {
  id: string;
  object: 'checkout.session';
  mode: string;
  status: 'open' | 'complete' | 'expired';
  payment_status: 'unpaid' | 'paid';
  amount_total: number;
  currency: string;
  client_reference_id: string | null;
  customer_email: string | null;
  metadata: Record<string, string>;
  success_url: string;
  cancel_url: string;
  url: string;
  payment_intent: string | null;
  created: number;
  livemode: false;
  lines: Array<{ name: string; amount: number }>;
}

interface Account {
  id: string;
  object: 'account';
  type: 'express';
  email: string | null;
  details_submitted: boolean;
  payouts_enabled: boolean;
  charges_enabled: boolean;
  metadata: Record<string, string>;
  created: number;
}

export interface StripeStandIn {
  url: string;
  webhookUrl: string | undefined;
  /** Every API call received, oldest first (tests read what the marketplace asked). */
  readonly requests: StandInRequest[];
  readonly transfers: Array<{ id: string; amount: number; currency: string; destination: string; metadata: Record<string, string> }>;
  /**
   * Pays a session as the hosted page's button does; resolves once the webhook answered. `delayed`: a bank
   * transfer (SEPA, ACH…): the session completes unpaid; `settle` then sends the payment's outcome.
   */
  pay(sessionId: string, options?: { delayed?: boolean }): Promise<{ webhookStatus: number; successUrl: string }>;
  /** A delayed payment's outcome: async_payment_succeeded or async_payment_failed. */
  settle(sessionId: string, outcome: 'succeeded' | 'failed'): Promise<number>;
  /** A chargeback on a paid session: sends charge.dispute.created; resolves to the dispute id and the webhook's status. */
  openDispute(paymentIntent: string): Promise<{ disputeId: string; webhookStatus: number }>;
  /** The bank's decision: sends charge.dispute.closed with status won or lost; resolves to the webhook's status. */
  closeDispute(disputeId: string, outcome: 'won' | 'lost'): Promise<number>;
  /** Completes a Connect account's onboarding as the hosted page does. */
  completeOnboarding(accountId: string): Promise<void>;
  /** Delivers an event to the webhook, signed; returns the HTTP status. */
  send(type: string, object: unknown): Promise<number>;
  close(): Promise<void>;
}

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

function stripeError(res: Response, status: number, message: string, param?: string) {
  res.status(status).json({ error: { type: 'invalid_request_error', message, ...(param ? { param } : {}) } });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function money(cents: number, currency: string): string {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).format(cents / 100);
}

export async function startStripeStandIn(options: StripeStandInOptions): Promise<StripeStandIn> {
  const sessions = new Map<string, Session>();
  const accounts = new Map<string, Account>();
  const charges = new Map<string, { charge: string; session: Session; refunded: boolean }>();
  const idempotent = new Map<string, unknown>();
  const requests: StandInRequest[] = [];
  const transfers: StripeStandIn['transfers'] = [];
  const state = { webhookUrl: options.webhookUrl, publicUrl: options.publicUrl ?? '' };

  async function send(type: string, object: unknown): Promise<number> {
    if (!state.webhookUrl) throw new Error('the Stripe stand-in has no webhook URL');
    const event = {
      id: id('evt'),
      object: 'event',
      api_version: Stripe.API_VERSION,
      created: now(),
      type,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object },
    };
    const payload = JSON.stringify(event, null, 2);
    const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: options.webhookSecret });
    // Stripe retries a failed delivery; three quick tries are enough locally.
    let status = 0;
    for (let attempt = 0; attempt < 3 && !(status >= 200 && status < 300); attempt++) {
      const response = await fetch(state.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature, 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' },
        body: payload,
      });
      status = response.status;
      await response.arrayBuffer();
    }
    return status;
  }

  const wireOf = (session: Session) => {
    const { lines: _lines, ...wire } = session;
    return wire;
  };

  async function pay(sessionId: string, options: { delayed?: boolean } = {}) {
    const session = sessions.get(sessionId);
    if (!session) throw new Error(`no checkout session ${sessionId}`);
    // Stripe's hosted page refuses an expired session; nothing is charged.
    if (session.status === 'expired') throw new Error(`checkout session ${sessionId} has expired`);
    if (session.status === 'open') {
      session.status = 'complete';
      session.payment_status = options.delayed ? 'unpaid' : 'paid';
      session.payment_intent = id('pi');
      if (!options.delayed) charges.set(session.payment_intent, { charge: id('ch'), session, refunded: false });
    }
    const webhookStatus = await send('checkout.session.completed', wireOf(session));
    return { webhookStatus, successUrl: session.success_url.replace('{CHECKOUT_SESSION_ID}', session.id) };
  }

  async function settle(sessionId: string, outcome: 'succeeded' | 'failed') {
    const session = sessions.get(sessionId);
    if (!session || session.status !== 'complete' || session.payment_status !== 'unpaid' || !session.payment_intent) {
      throw new Error(`checkout session ${sessionId} has no delayed payment to settle`);
    }
    if (outcome === 'succeeded') {
      session.payment_status = 'paid';
      charges.set(session.payment_intent, { charge: id('ch'), session, refunded: false });
    }
    return send(`checkout.session.async_payment_${outcome}`, wireOf(session));
  }

  const disputes = new Map<string, Record<string, unknown>>();

  async function openDispute(paymentIntent: string) {
    const paid = charges.get(paymentIntent);
    if (!paid) throw new Error(`no charge for ${paymentIntent}`);
    const object = {
      id: id('dp'),
      object: 'dispute',
      amount: paid.session.amount_total,
      currency: paid.session.currency,
      charge: paid.charge,
      payment_intent: paymentIntent,
      reason: 'fraudulent',
      status: 'needs_response',
      created: now(),
      livemode: false,
    };
    disputes.set(object.id, object);
    return { disputeId: object.id, webhookStatus: await send('charge.dispute.created', object) };
  }

  async function closeDispute(disputeId: string, outcome: 'won' | 'lost') {
    const object = disputes.get(disputeId);
    if (!object) throw new Error(`no dispute ${disputeId}`);
    object.status = outcome;
    return send('charge.dispute.closed', object);
  }

  function expire(session: Session) {
    session.status = 'expired';
    // Stripe announces the expired session a moment after answering.
    setImmediate(() => void send('checkout.session.expired', wireOf(session)).catch(() => undefined));
  }

  async function completeOnboarding(accountId: string) {
    const account = accounts.get(accountId);
    if (!account) throw new Error(`no account ${accountId}`);
    Object.assign(account, { details_submitted: true, payouts_enabled: true, charges_enabled: true });
    await send('account.updated', account);
  }

  const app = express();
  app.disable('x-powered-by');
  app.use(express.urlencoded({ extended: true }));

  // The API: Bearer secret key, form-encoded bodies, Idempotency-Key replays the first answer.
  const api = express.Router();
  api.use((req, res, next) => {
    const key = req.headers['idempotency-key'];
    requests.push({ method: req.method, path: req.path, body: { ...req.body }, idempotencyKey: typeof key === 'string' ? key : undefined });
    if (req.headers.authorization !== `Bearer ${options.secretKey}`) {
      res.status(401).json({ error: { type: 'invalid_request_error', message: 'Invalid API Key provided.' } });
      return;
    }
    if (typeof key === 'string' && req.method === 'POST') {
      const replay = idempotent.get(`${req.path} ${key}`);
      if (replay) {
        res.setHeader('Idempotent-Replayed', 'true');
        res.json(replay);
        return;
      }
      const json = res.json.bind(res);
      res.json = (body: unknown) => {
        if (res.statusCode < 400) idempotent.set(`${req.path} ${key}`, body);
        return json(body);
      };
    }
    next();
  });

  api.post('/checkout/sessions', (req, res) => {
    const body = req.body as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    if (body.mode !== 'payment') return stripeError(res, 400, 'Only mode=payment is supported here.', 'mode');
    if (!body.success_url) return stripeError(res, 400, 'Missing required param: success_url.', 'success_url');
    const items: Array<Record<string, any>> = Array.isArray(body.line_items) ? body.line_items : []; // eslint-disable-line @typescript-eslint/no-explicit-any
    if (items.length === 0) return stripeError(res, 400, 'Missing required param: line_items.', 'line_items');
    const currencies = new Set(items.map((item) => item.price_data?.currency));
    if (currencies.size !== 1) return stripeError(res, 400, 'All line items must share one currency.', 'line_items');
    const lines = items.map((item) => ({ name: String(item.price_data?.product_data?.name ?? ''), amount: Number(item.price_data?.unit_amount) * Number(item.quantity ?? 1) }));
    if (lines.some((line) => !Number.isSafeInteger(line.amount) || line.amount < 0)) return stripeError(res, 400, 'Invalid unit_amount.', 'line_items');
    const sessionId = id('cs_test');
    const session: Session = {
      id: sessionId,
      object: 'checkout.session',
      mode: 'payment',
      status: 'open',
      payment_status: 'unpaid',
      amount_total: lines.reduce((sum, line) => sum + line.amount, 0),
      currency: [...currencies][0],
      client_reference_id: body.client_reference_id ?? null,
      customer_email: body.customer_email ?? null,
      metadata: body.metadata ?? {},
      success_url: body.success_url,
      cancel_url: body.cancel_url ?? body.success_url,
      url: `${state.publicUrl || standIn.url}/_local/checkout/${sessionId}`,
      payment_intent: null,
      created: now(),
      livemode: false,
      lines,
    };
    sessions.set(sessionId, session);
    const { lines: _lines, ...wire } = session;
    res.json(wire);
  });

  api.get('/checkout/sessions/:id', (req, res) => {
    const session = sessions.get(req.params.id);
    if (!session) return stripeError(res, 404, `No such checkout.session: '${req.params.id}'`, 'id');
    const { lines: _lines, ...wire } = session;
    res.json(wire);
  });

  api.post('/checkout/sessions/:id/expire', (req, res) => {
    const session = sessions.get(req.params.id);
    if (!session) return stripeError(res, 404, `No such checkout.session: '${req.params.id}'`, 'id');
    if (session.status !== 'open') return stripeError(res, 400, 'Only Checkout Sessions with a status in ["open"] can be expired.');
    expire(session);
    res.json(wireOf(session));
  });

  api.post('/refunds', (req, res) => {
    const paymentIntent = String(req.body.payment_intent ?? '');
    const paid = charges.get(paymentIntent);
    if (!paid) return stripeError(res, 400, `No such payment_intent: '${paymentIntent}'`, 'payment_intent');
    if (paid.refunded) return stripeError(res, 400, `Charge ${paid.charge} has already been refunded.`);
    paid.refunded = true;
    const refund = {
      id: id('re'),
      object: 'refund',
      amount: paid.session.amount_total,
      currency: paid.session.currency,
      payment_intent: paymentIntent,
      charge: paid.charge,
      status: 'succeeded',
      reason: req.body.reason ?? null,
      metadata: req.body.metadata ?? {},
      created: now(),
    };
    res.json(refund);
    // Stripe announces the refunded charge a moment after answering.
    setImmediate(() => {
      void send('charge.refunded', {
        id: paid.charge,
        object: 'charge',
        amount: paid.session.amount_total,
        amount_refunded: paid.session.amount_total,
        currency: paid.session.currency,
        payment_intent: paymentIntent,
        refunded: true,
        paid: true,
        status: 'succeeded',
        refunds: { object: 'list', data: [refund], has_more: false, url: `/v1/charges/${paid.charge}/refunds` },
      }).catch(() => undefined);
    });
  });

  api.post('/accounts', (req, res) => {
    if (req.body.type !== 'express') return stripeError(res, 400, 'Only Express accounts are supported here.', 'type');
    const account: Account = {
      id: `acct_${randomBytes(8).toString('hex')}`,
      object: 'account',
      type: 'express',
      email: req.body.email ?? null,
      details_submitted: false,
      payouts_enabled: false,
      charges_enabled: false,
      metadata: req.body.metadata ?? {},
      created: now(),
    };
    accounts.set(account.id, account);
    res.json(account);
  });

  api.get('/accounts/:id', (req, res) => {
    const account = accounts.get(req.params.id);
    if (!account) return stripeError(res, 404, `No such account: '${req.params.id}'`, 'account');
    res.json(account);
  });

  api.post('/account_links', (req, res) => {
    const account = accounts.get(String(req.body.account ?? ''));
    if (!account) return stripeError(res, 400, `No such account: '${req.body.account}'`, 'account');
    if (!req.body.return_url || !req.body.refresh_url) return stripeError(res, 400, 'return_url and refresh_url are required.');
    const query = new URLSearchParams({ return_url: req.body.return_url });
    res.json({ object: 'account_link', created: now(), expires_at: now() + 300, url: `${state.publicUrl || standIn.url}/_local/connect/${account.id}?${query}` });
  });

  api.post('/transfers', (req, res) => {
    const account = accounts.get(String(req.body.destination ?? ''));
    if (!account) return stripeError(res, 400, `No such destination: '${req.body.destination}'`, 'destination');
    if (!account.payouts_enabled) return stripeError(res, 400, 'The destination account has not finished onboarding.', 'destination');
    const amount = Number(req.body.amount);
    if (!Number.isSafeInteger(amount) || amount <= 0) return stripeError(res, 400, 'Invalid amount.', 'amount');
    const transfer = { id: id('tr'), object: 'transfer', amount, currency: String(req.body.currency), destination: account.id, transfer_group: req.body.transfer_group ?? null, metadata: req.body.metadata ?? {}, created: now() };
    transfers.push(transfer);
    res.json(transfer);
  });

  api.use((req, res) => stripeError(res, 404, `Unrecognized request URL (${req.method}: /v1${req.path}).`));
  app.use('/v1', api);

  // The hosted pages, as a browser sees them.
  const page = (title: string, body: string) =>
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
    `<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1a1a2e}` +
    `table{width:100%;border-collapse:collapse}td{padding:.4rem 0;border-bottom:1px solid #ddd}td:last-child{text-align:right}` +
    `button{background:#635bff;color:#fff;border:0;border-radius:6px;padding:.8rem 1.4rem;font-size:1rem;cursor:pointer}` +
    `.note{color:#666;font-size:.9rem}</style></head><body>${body}</body></html>`;

  app.get('/_local/checkout/:id', (req, res) => {
    const session = sessions.get(req.params.id);
    if (!session) return void res.status(404).type('html').send(page('Not found', '<h1>This checkout does not exist.</h1>'));
    if (session.status === 'expired') {
      return void res.status(410).type('html').send(page('Expired', `<h1>This checkout has expired.</h1><p><a href="${escapeHtml(session.cancel_url)}">Return to the shop</a></p>`));
    }
    if (session.status !== 'open') return void res.redirect(303, session.success_url.replace('{CHECKOUT_SESSION_ID}', session.id));
    const rows = session.lines.map((line) => `<tr><td>${escapeHtml(line.name)}</td><td>${money(line.amount, session.currency)}</td></tr>`).join('');
    res.type('html').send(
      page(
        'Checkout (local stand-in for Stripe)',
        `<p class="note">Local stand-in for Stripe Checkout: no card is charged.</p><h1>Pay ${money(session.amount_total, session.currency)}</h1>` +
          `<p>${escapeHtml(session.customer_email ?? '')}</p><table>${rows}<tr><td><strong>Total</strong></td><td><strong>${money(session.amount_total, session.currency)}</strong></td></tr></table>` +
          `<form method="post" action="/_local/checkout/${session.id}/pay"><p><button type="submit">Pay ${money(session.amount_total, session.currency)}</button></p></form>` +
          `<form method="post" action="/_local/checkout/${session.id}/pay?method=bank_transfer"><p><button type="submit">Pay by bank transfer (settles in a few seconds)</button></p></form>` +
          `<p><a href="${escapeHtml(session.cancel_url)}">Cancel and return</a></p>`,
      ),
    );
  });

  app.post('/_local/checkout/:id/pay', async (req: Request, res: Response) => {
    const session = sessions.get(String(req.params.id));
    if (!session) return void res.status(404).type('html').send(page('Not found', '<h1>This checkout does not exist.</h1>'));
    if (session.status === 'expired') return void res.status(410).type('html').send(page('Expired', '<h1>This checkout has expired; nothing was charged.</h1>'));
    const delayed = req.query.method === 'bank_transfer';
    const { webhookStatus, successUrl } = await pay(session.id, { delayed });
    // The bank transfer "arrives" a few seconds later, as Stripe's test bank accounts do.
    if (delayed) setTimeout(() => void settle(session.id, 'succeeded').catch(() => undefined), 3_000).unref();
    if (webhookStatus < 200 || webhookStatus >= 300) {
      return void res.status(502).type('html').send(page('Webhook failed', `<h1>Paid, but the marketplace's webhook answered ${webhookStatus}.</h1>`));
    }
    res.redirect(303, successUrl);
  });

  app.get('/_local/connect/:id', (req, res) => {
    const account = accounts.get(req.params.id);
    if (!account) return void res.status(404).type('html').send(page('Not found', '<h1>No such account.</h1>'));
    const returnUrl = String(req.query.return_url ?? '/');
    res.type('html').send(
      page(
        'Payouts onboarding (local stand-in for Stripe Connect)',
        `<p class="note">Local stand-in for Stripe Connect Express onboarding.</p><h1>Get paid</h1><p>${escapeHtml(account.email ?? '')}</p>` +
          `<form method="post" action="/_local/connect/${account.id}"><input type="hidden" name="return_url" value="${escapeHtml(returnUrl)}">` +
          `<button type="submit">Finish onboarding</button></form>`,
      ),
    );
  });

  app.post('/_local/connect/:id', async (req, res) => {
    if (!accounts.has(req.params.id)) return void res.status(404).end();
    await completeOnboarding(req.params.id);
    const returnUrl = String(req.body.return_url ?? '/');
    // Only back to where the account link said (a relative or http(s) URL), never a script URL.
    res.redirect(303, /^(https?:\/\/|\/)/.test(returnUrl) ? returnUrl : '/');
  });

  const server: Server = app.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const standIn: StripeStandIn = {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    get webhookUrl() {
      return state.webhookUrl;
    },
    set webhookUrl(value) {
      state.webhookUrl = value;
    },
    requests,
    transfers,
    pay,
    settle,
    openDispute,
    closeDispute,
    completeOnboarding,
    send,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return standIn;
}

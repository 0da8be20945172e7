/**
 * Everything the marketplace asks of Stripe, through the official SDK: Checkout Sessions, webhook
 * signature checks, refunds, Connect Express accounts, onboarding links and transfers. There is one
 * implementation; locally and in tests it talks to a stand-in server answering Stripe's API shapes
 * (scripts/local/stripe-standin.ts) through the SDK's `host`, `port` and `protocol` options.
 */
import Stripe from 'stripe';

export interface StripeSettings {
  secretKey: string;
  /** The webhook endpoint's signing secret; the payout job, which takes no webhooks, has none. */
  webhookSecret?: string;
  /** Another API base than api.stripe.com (the local stand-in): `http://127.0.0.1:12111`. */
  apiBase?: string;
}

export interface CheckoutLine {
  productId: string;
  title: string;
  priceCents: number;
}

export interface NewCheckoutSession {
  /** Our checkout row: Stripe echoes it back as client_reference_id and in the metadata. */
  checkoutId: string;
  currency: string;
  lines: CheckoutLine[];
  buyerEmail: string;
  successUrl: string;
  cancelUrl: string;
}

export interface TransferRequest {
  amountCents: number;
  currency: string;
  destination: string;
  /** The same key for a retried transfer: Stripe then answers with the first one instead of paying twice. */
  idempotencyKey: string;
  payoutId: string;
}

export class StripeGateway {
  readonly stripe: Stripe;
  readonly #webhookSecret: string | undefined;

  constructor(settings: StripeSettings) {
    const base = settings.apiBase ? new URL(settings.apiBase) : undefined;
    this.stripe = new Stripe(settings.secretKey, {
      maxNetworkRetries: 2,
      telemetry: false,
      ...(base
        ? { host: base.hostname, port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)), protocol: base.protocol === 'https:' ? 'https' : 'http' }
        : {}),
    });
    this.#webhookSecret = settings.webhookSecret;
  }

  async createCheckoutSession(input: NewCheckoutSession): Promise<{ id: string; url: string }> {
    const session = await this.stripe.checkout.sessions.create(
      {
        mode: 'payment',
        client_reference_id: input.checkoutId,
        customer_email: input.buyerEmail,
        success_url: input.successUrl,
        cancel_url: input.cancelUrl,
        metadata: { checkoutId: input.checkoutId },
        payment_intent_data: { metadata: { checkoutId: input.checkoutId } },
        line_items: input.lines.map((line) => ({
          quantity: 1,
          price_data: {
            currency: input.currency.toLowerCase(),
            unit_amount: line.priceCents,
            product_data: { name: line.title, metadata: { productId: line.productId } },
          },
        })),
      },
      { idempotencyKey: `checkout-${input.checkoutId}` },
    );
    if (!session.url) throw new Error(`Stripe returned checkout session ${session.id} without a URL`);
    return { id: session.id, url: session.url };
  }

  /** The event if the signature is Stripe's for exactly these bytes (and recent); throws otherwise. */
  verifyWebhook(rawBody: Buffer, signature: string): Stripe.Event {
    if (!this.#webhookSecret) throw new Error('no webhook signing secret configured');
    return this.stripe.webhooks.constructEvent(rawBody, signature, this.#webhookSecret);
  }

  /**
   * Closes a Checkout Session so it can no longer be paid, and answers its status afterwards: 'expired',
   * or 'complete' when the buyer already paid (or started a delayed payment) and it could not be closed.
   */
  async expireCheckoutSession(sessionId: string): Promise<'complete' | 'expired'> {
    try {
      const session = await this.stripe.checkout.sessions.expire(sessionId);
      return session.status === 'complete' ? 'complete' : 'expired';
    } catch (error) {
      // Stripe refuses to expire a session that is no longer open; what matters is whether it was paid.
      if (!(error instanceof Stripe.errors.StripeInvalidRequestError)) throw error;
      const session = await this.stripe.checkout.sessions.retrieve(sessionId);
      if (session.status === 'open') throw error;
      return session.status === 'complete' ? 'complete' : 'expired';
    }
  }

  /**
   * Refunds a whole payment the marketplace cannot honour (a duplicate purchase, a set blocked before the
   * payment completed). The idempotency key is the caller's: the same key for a retried event, so the buyer
   * is refunded once however often the event is applied.
   */
  async refundPayment(
    paymentIntentId: string,
    options: { idempotencyKey: string; refundId: string; reason?: 'duplicate' },
  ): Promise<{ id: string; status: string | null }> {
    const refund = await this.stripe.refunds.create(
      { payment_intent: paymentIntentId, metadata: { refundId: options.refundId }, ...(options.reason ? { reason: options.reason } : {}) },
      { idempotencyKey: options.idempotencyKey },
    );
    return { id: refund.id, status: refund.status };
  }

  async refund(paymentIntentId: string, refundId: string): Promise<{ id: string; status: string | null }> {
    const refund = await this.stripe.refunds.create(
      { payment_intent: paymentIntentId, metadata: { refundId } },
      { idempotencyKey: `refund-${refundId}` },
    );
    return { id: refund.id, status: refund.status };
  }

  async createExpressAccount(contributor: { id: string; email: string }): Promise<string> {
    const account = await this.stripe.accounts.create(
      { type: 'express', email: contributor.email, metadata: { contributorId: contributor.id }, capabilities: { transfers: { requested: true } } },
      { idempotencyKey: `connect-${contributor.id}` },
    );
    return account.id;
  }

  async onboardingLink(accountId: string, returnUrl: string, refreshUrl: string): Promise<string> {
    const link = await this.stripe.accountLinks.create({ account: accountId, type: 'account_onboarding', return_url: returnUrl, refresh_url: refreshUrl });
    return link.url;
  }

  async accountStatus(accountId: string): Promise<{ detailsSubmitted: boolean; payoutsEnabled: boolean }> {
    const account = await this.stripe.accounts.retrieve(accountId);
    return { detailsSubmitted: account.details_submitted ?? false, payoutsEnabled: account.payouts_enabled ?? false };
  }

  async transfer(request: TransferRequest): Promise<string> {
    const transfer = await this.stripe.transfers.create(
      {
        amount: request.amountCents,
        currency: request.currency.toLowerCase(),
        destination: request.destination,
        transfer_group: `payout-${request.payoutId}`,
        metadata: { payoutId: request.payoutId },
      },
      { idempotencyKey: request.idempotencyKey },
    );
    return transfer.id;
  }
}

/** Stripe's settings from the environment, or undefined when payments are not configured. */
export function stripeSettingsFrom(env: NodeJS.ProcessEnv): StripeSettings | undefined {
  const secretKey = env.STRIPE_SECRET_KEY;
  const webhookSecret = env.STRIPE_WEBHOOK_SECRET;
  if (!secretKey || !webhookSecret) return undefined;
  return { secretKey, webhookSecret, ...(env.STRIPE_API_BASE ? { apiBase: env.STRIPE_API_BASE } : {}) };
}

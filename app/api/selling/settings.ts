/** What the selling routes need from the API's configuration. */
import type { Request } from 'express';
import type { StripeGateway } from '../../../core/selling/stripe-gateway.ts';

export interface SellingSettings {
  /** Stripe (or the local stand-in); without it checkout, refunds and onboarding answer 503. */
  gateway?: StripeGateway;
  /** The platform's share of each sale, 0–100 (stack config `platformCommissionPercent`). */
  commissionPercent: number;
  /** The storefront's origin for Stripe's return URLs and LICENSE.txt; default: the request's own. */
  publicUrl?: string;
}

export const DEFAULT_COMMISSION_PERCENT = 30;

/** The storefront origin: configured, or (behind the front door, `trust proxy`) the one the request came to. */
export function storefrontUrl(settings: SellingSettings, req: Request): string {
  return (settings.publicUrl ?? `${req.protocol}://${req.get('host')}`).replace(/\/+$/, '');
}

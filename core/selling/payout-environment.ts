/** What the payout job needs, from its environment: the database, Stripe's secret key and the threshold. */
import { z } from 'zod';
import { DatabaseCredentialsEnv } from '../catalog/credentials.ts';

export const PAYOUT_THRESHOLD_DEFAULT_CENTS = 5_000;
/** Days a sale's share waits before a payout (refunds and chargebacks mostly arrive within two weeks). */
export const PAYOUT_HOLD_DEFAULT_DAYS = 14;

export const PayoutEnvironment = z
  .object({
    DATABASE_URL: z.string().startsWith('postgres', 'must be a postgres:// connection string'),
    /** Deployed: the password from Secrets Manager or SSM (core/catalog/credentials.ts), not in DATABASE_URL. */
    ...DatabaseCredentialsEnv.shape,
    /** The key itself (the script, locally)… */
    STRIPE_SECRET_KEY: z.string().startsWith('sk_').optional(),
    /** …or the SSM SecureString parameter holding it (the Lambda). */
    STRIPE_SECRET_KEY_PARAMETER: z.string().startsWith('/').optional(),
    STRIPE_API_BASE: z.url().optional(),
    PAYOUT_THRESHOLD_CENTS: z.coerce.number().int().min(1).default(PAYOUT_THRESHOLD_DEFAULT_CENTS),
    PAYOUT_HOLD_DAYS: z.coerce.number().int().min(0).max(180).default(PAYOUT_HOLD_DEFAULT_DAYS),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .refine((env) => env.STRIPE_SECRET_KEY || env.STRIPE_SECRET_KEY_PARAMETER, {
    path: ['STRIPE_SECRET_KEY'],
    message: 'set STRIPE_SECRET_KEY or STRIPE_SECRET_KEY_PARAMETER',
  });
export type PayoutEnvironment = z.infer<typeof PayoutEnvironment>;

export function readPayoutEnvironment(env: NodeJS.ProcessEnv = process.env): PayoutEnvironment {
  const result = PayoutEnvironment.safeParse(env);
  if (!result.success) throw new Error(`invalid payout environment:\n${z.prettifyError(result.error)}`);
  return result.data;
}

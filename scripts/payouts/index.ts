/**
 * `npm run payouts`: one payout run now, against DATABASE_URL and Stripe (STRIPE_SECRET_KEY, or
 * STRIPE_API_BASE for the local stand-in), printing the payout report. The same code as the scheduled
 * Lambda (functions/payout-runner); safe to run at any time, any number of times.
 *   --json   print the report as JSON
 */
import { createDb } from '../../core/catalog/index.ts';
import { readPayoutEnvironment } from '../../core/selling/payout-environment.ts';
import { formatPayoutReport, runPayouts } from '../../core/selling/payouts.ts';
import { sellingDb } from '../../core/selling/schema.ts';
import { StripeGateway } from '../../core/selling/stripe-gateway.ts';

const config = readPayoutEnvironment();
if (!config.STRIPE_SECRET_KEY) throw new Error('npm run payouts needs STRIPE_SECRET_KEY');
const db = createDb(config.DATABASE_URL, { max: 1 });
try {
  const report = await runPayouts({
    db: sellingDb(db),
    gateway: new StripeGateway({ secretKey: config.STRIPE_SECRET_KEY, apiBase: config.STRIPE_API_BASE }),
    thresholdCents: config.PAYOUT_THRESHOLD_CENTS,
    holdDays: config.PAYOUT_HOLD_DAYS,
  });
  console.log(process.argv.includes('--json') ? JSON.stringify(report, null, 2) : formatPayoutReport(report));
  process.exitCode = report.failed.length > 0 ? 1 : 0;
} finally {
  await db.destroy();
}

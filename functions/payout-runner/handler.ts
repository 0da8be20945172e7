/**
 * The scheduled payout job (EventBridge Scheduler → this Lambda): transfers every contributor balance
 * above the threshold through Stripe Connect (core/selling/payouts.ts) and logs the payout report.
 * Stripe's secret key comes from its SSM SecureString parameter, read once per container.
 */
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { databasePasswordSource, databaseTlsSource } from '../../core/catalog/credentials.ts';
import { createDb } from '../../core/catalog/index.ts';
import { createLogger } from '../../core/log.ts';
import { readPayoutEnvironment } from '../../core/selling/payout-environment.ts';
import { runPayouts, type PayoutReport } from '../../core/selling/payouts.ts';
import { sellingDb } from '../../core/selling/schema.ts';
import { StripeGateway } from '../../core/selling/stripe-gateway.ts';
import { configuredValue } from '../../core/selling/stripe-parameters.ts';

export type PayoutRunnerHandler = (event: unknown) => Promise<PayoutReport>;

export function createPayoutRunnerHandler(env: NodeJS.ProcessEnv = process.env): PayoutRunnerHandler {
  const config = readPayoutEnvironment(env);
  const log = createLogger({ name: 'payout-runner', level: config.LOG_LEVEL });
  const db = sellingDb(createDb(config.DATABASE_URL, { max: 1, password: databasePasswordSource(config, env), tls: databaseTlsSource(config, env) }));
  let gateway: StripeGateway | undefined;
  return async () => {
    if (!gateway) {
      const parameter = config.STRIPE_SECRET_KEY_PARAMETER;
      const secretKey = config.STRIPE_SECRET_KEY ?? configuredValue(await getParameter(parameter!, { decrypt: true }));
      if (!secretKey) {
        // A stack that does not sell yet: nothing can have been earned, and the schedule must not page anyone.
        log.warn(`Stripe is not configured (${parameter} holds the placeholder): no payouts`);
        return emptyReport(config.PAYOUT_THRESHOLD_CENTS);
      }
      if (!secretKey.startsWith('sk_')) throw new Error(`SSM parameter ${parameter} does not hold a Stripe secret key (sk_...)`);
      gateway = new StripeGateway({ secretKey, apiBase: config.STRIPE_API_BASE });
    }
    const report = await runPayouts({ db, gateway, thresholdCents: config.PAYOUT_THRESHOLD_CENTS, holdDays: config.PAYOUT_HOLD_DAYS });
    log.info({ report }, `payout run: ${report.paid.length} paid, ${report.failed.length} failed, ${report.skipped.length} skipped`);
    // A failed transfer fails the invocation, so the alarm on the function's errors tells someone.
    if (report.failed.length > 0) throw new Error(`payout run ${report.runId}: ${report.failed.length} payouts failed`);
    return report;
  };
}

/** The report of a run that paid nothing because Stripe is not configured. */
function emptyReport(thresholdCents: number): PayoutReport {
  const now = new Date().toISOString();
  return { runId: 'not-configured', startedAt: now, finishedAt: now, thresholdCents, paid: [], failed: [], skipped: [], totals: {} };
}

let coldStart: PayoutRunnerHandler | undefined;
export const handler: PayoutRunnerHandler = (event) => (coldStart ??= createPayoutRunnerHandler())(event);

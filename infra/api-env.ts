/**
 * The API's environment on a host, as one pure function of plain values, so the dev host and
 * prod's API instances name every variable the same way and a test can parse the result with
 * the schema the API validates at start (`app/api/config.ts`). No Pulumi imports.
 */

/** Where the API searches: PostgreSQL in the catalog, or the Elasticsearch index Logstash feeds (prod). */
export type ApiSearch = { backend: 'postgres' } | { backend: 'elasticsearch'; index: string };

export interface ApiEnvArgs {
  buckets: { uploads: string; assets: string; downloads: string };
  /** Public base URL of the preview keys (a CloudFront distribution in front of the private assets bucket). */
  assetsBaseUrl: string;
  /** The origin browsers reach the API on: its scheme decides whether session cookies are `Secure`. */
  publicUrl: string;
  eventsTopicArn: string;
  /** The pipeline's work queues: PreviewMaker rebuilds family previews, ImageProcessor retries failed images. */
  queueUrls: { preview: string; image: string };
  /** The CloudFront distribution serving `assetsBaseUrl`, where withdrawn previews are invalidated. */
  cloudfrontDistributionId: string;
  logLevel: string;
  search: ApiSearch;
  /** The platform's share of each sale (stack config `platformCommissionPercent`). */
  platformCommissionPercent?: number;
  /** Behind CloudFront: the header holding the viewer's address (`CloudFront-Viewer-Address`). */
  clientAddressHeader?: string;
  /** The SSM parameters holding Stripe's secrets, which the API reads at start (names only: not secret). */
  stripeParameters?: { secretKey: string; webhookSecret: string };
  /** The SES identity account mail is sent from (stack config `mailFrom`). */
  mailFrom?: string;
}

/**
 * Settings that are not secret (they may travel in user data). Secrets — DATABASE_URL, and with
 * Elasticsearch ELASTICSEARCH_URL (credentials inside) and ELASTICSEARCH_API_KEY — are added by
 * the caller: inline on the dev host (whose user data is a Pulumi secret), from SSM in prod.
 */
export function apiHostEnv(args: ApiEnvArgs): Record<string, string> {
  return {
    UPLOADS_BUCKET: args.buckets.uploads,
    ASSETS_BUCKET: args.buckets.assets,
    DOWNLOADS_BUCKET: args.buckets.downloads,
    ASSETS_BASE_URL: args.assetsBaseUrl,
    // Explicit on every stack: a plain-HTTP dev host must not set cookies the browser drops.
    COOKIE_SECURE: String(servesHttps(args.publicUrl)),
    // Mutations from any other origin are refused (app/api/http/csrf.ts); CloudFront may rewrite Host.
    PUBLIC_ORIGIN: new URL(args.publicUrl).origin,
    EVENTS_TOPIC_ARN: args.eventsTopicArn,
    PREVIEW_QUEUE_URL: args.queueUrls.preview,
    IMAGE_QUEUE_URL: args.queueUrls.image,
    CLOUDFRONT_DISTRIBUTION_ID: args.cloudfrontDistributionId,
    LOG_LEVEL: args.logLevel,
    SEARCH_BACKEND: args.search.backend,
    ...(args.search.backend === 'elasticsearch' ? { ELASTICSEARCH_INDEX: args.search.index } : {}),
    ...(args.platformCommissionPercent !== undefined ? { PLATFORM_COMMISSION_PERCENT: String(args.platformCommissionPercent) } : {}),
    ...(args.clientAddressHeader ? { CLIENT_ADDRESS_HEADER: args.clientAddressHeader } : {}),
    ...(args.stripeParameters
      ? { STRIPE_SECRET_KEY_PARAMETER: args.stripeParameters.secretKey, STRIPE_WEBHOOK_SECRET_PARAMETER: args.stripeParameters.webhookSecret }
      : {}),
    ...(args.mailFrom ? { MAIL_FROM: args.mailFrom } : {}),
  };
}

export function servesHttps(publicUrl: string): boolean {
  return new URL(publicUrl).protocol === 'https:';
}

/** Names of the secret variables the API reads, in one place for both shapes. */
export const API_SECRET_ENV = {
  databaseUrl: 'DATABASE_URL',
  elasticsearchUrl: 'ELASTICSEARCH_URL',
  elasticsearchApiKey: 'ELASTICSEARCH_API_KEY',
  /** HMAC key of page cursors: one random value per stack, the same on every API host. */
  cursorSecret: 'CURSOR_SECRET',
} as const;

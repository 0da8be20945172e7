/** The API's environment, validated once at start. */
import { z } from 'zod';
import { LOCAL_CURSOR_SECRET } from './catalog/cursor.ts';
import { CATALOG_CACHE_MAX_BYTES, CATALOG_CACHE_TTL_SECONDS, HOUSEKEEPING_INTERVAL_SECONDS } from '../../core/limits.ts';

const flag = z.enum(['true', 'false']).transform((value) => value === 'true');

export const apiEnvSchema = z
  .object({
    NODE_ENV: z.string().default('development'),
    HOST: z.string().default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65_535).default(3001),
    DATABASE_URL: z.string().startsWith('postgres'),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
    UPLOADS_BUCKET: z.string().min(3),
    ASSETS_BUCKET: z.string().min(3),
    DOWNLOADS_BUCKET: z.string().min(3),
    /** CDN URL of the assets bucket; default: the S3 endpoint (emulator locally). */
    ASSETS_BASE_URL: z.url().optional(),
    /** PreviewMaker's queue: publish, unpublish and block ask it to rebuild the family preview. */
    PREVIEW_QUEUE_URL: z.url().optional(),
    /** The CloudFront distribution serving ASSETS_BASE_URL: withdrawn previews are invalidated there. */
    CLOUDFRONT_DISTRIBUTION_ID: z.string().regex(/^[A-Z0-9]{1,64}$/).optional(),
    AWS_REGION: z.string().default('us-east-1'),
    AWS_ENDPOINT_URL_S3: z.url().optional(),
    /**
     * Where the API reads and writes objects itself (originals for Copy SVG, customised renders) when that
     * differs from AWS_ENDPOINT_URL_S3, which presigned URLs carry: locally that is the front door, which
     * passes browsers' uploads and assets, not the API's own object I/O. Default: AWS_ENDPOINT_URL_S3.
     */
    S3_INTERNAL_ENDPOINT: z.url().optional(),
    COOKIE_SECURE: flag.optional(),
    /** The origin browsers use (`https://marketplace.example`); mutations from other origins are refused. */
    PUBLIC_ORIGIN: z.url().transform((url) => new URL(url).origin).optional(),
    /** Express `trust proxy` (e.g. "loopback", "10.0.0.0/8", a hop count). */
    TRUST_PROXY: z.string().default('loopback'),
    /**
     * Behind CloudFront: `CloudFront-Viewer-Address`, the viewer's address, taken when a TRUST_PROXY hop passed
     * the request on (X-Forwarded-For would end in CloudFront's edge). Unset: the address TRUST_PROXY yields.
     */
    CLIENT_ADDRESS_HEADER: z.string().regex(/^[A-Za-z0-9-]+$/).optional(),
    /**
     * HMAC key of page cursors (app/api/catalog/cursor.ts), the same on every API host. The default is public:
     * fine on one machine, but in production anyone could forge cursors; set a random 32+ character value.
     */
    CURSOR_SECRET: z.string().min(32).default(LOCAL_CURSOR_SECRET),
    SEARCH_BACKEND: z.enum(['postgres', 'elasticsearch']).default('postgres'),
    ELASTICSEARCH_URL: z.url().optional(),
    ELASTICSEARCH_INDEX: z.string().default('products'),
    ELASTICSEARCH_API_KEY: z.string().optional(),
    /** Memory for cached public lists and searches (app/api/catalog/read-cache.ts); 0 turns the cache off. */
    CATALOG_CACHE_MB: z.coerce.number().int().min(0).max(4096).default(CATALOG_CACHE_MAX_BYTES / 2 ** 20),
    CATALOG_CACHE_TTL_SECONDS: z.coerce.number().int().min(1).max(3600).default(CATALOG_CACHE_TTL_SECONDS),
    /** Stripe: both set, or neither (then checkout, refunds and payouts answer 503). */
    STRIPE_SECRET_KEY: z.string().startsWith('sk_').optional(),
    STRIPE_WEBHOOK_SECRET: z.string().startsWith('whsec_').optional(),
    /**
     * In AWS: the SSM SecureString parameters holding the two secrets, read at start (core/selling/stripe-parameters.ts),
     * so the values stay out of user data and env files. A parameter holding the placeholder means no Stripe (503).
     */
    STRIPE_SECRET_KEY_PARAMETER: z.string().startsWith('/').optional(),
    STRIPE_WEBHOOK_SECRET_PARAMETER: z.string().startsWith('/').optional(),
    /** Another Stripe API base (the local stand-in); never set in AWS. */
    STRIPE_API_BASE: z.url().optional(),
    /** The platform's share of each sale (stack config `platformCommissionPercent`). */
    PLATFORM_COMMISSION_PERCENT: z.coerce.number().min(0).max(100).default(30),
    /** The storefront's origin, for Stripe's return URLs and LICENSE.txt; default: PUBLIC_ORIGIN, else the request's own. */
    PUBLIC_URL: z.url().optional(),
    /**
     * The SES identity account mails come from (`Marketplace <no-reply@marketplace.example>`). Unset: no mail
     * is sent (sign-up still answers; verification links then exist only in the database), with a warning.
     */
    MAIL_FROM: z.string().min(3).optional(),
    /** Another SES endpoint: the local stand-in (scripts/local/ses-standin.ts). Never set in AWS. */
    AWS_ENDPOINT_URL_SESV2: z.url().optional(),
    /** How often each host purges expired sessions, verification links and sign-in failures. */
    HOUSEKEEPING_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(HOUSEKEEPING_INTERVAL_SECONDS),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** The pipeline's queues: with both, contributors and admins can retry a failed set's failed images. */
    IMAGE_QUEUE_URL: z.url().optional(),
    /** The retried set's watchdog delay, as the pipeline's PREVIEW_DELAY_SECONDS. */
    PREVIEW_DELAY_SECONDS: z.coerce.number().int().min(0).max(900).default(120),
  })
  .refine((env) => env.SEARCH_BACKEND !== 'elasticsearch' || env.ELASTICSEARCH_URL, {
    path: ['ELASTICSEARCH_URL'],
    message: 'is required when SEARCH_BACKEND=elasticsearch',
  })
  .refine((env) => !env.MAIL_FROM || env.PUBLIC_URL || env.PUBLIC_ORIGIN, {
    path: ['MAIL_FROM'],
    message: "needs PUBLIC_URL or PUBLIC_ORIGIN: mails link to the storefront's own origin, never to a request's Host",
  })
  .refine((env) => (env.STRIPE_SECRET_KEY === undefined) === (env.STRIPE_WEBHOOK_SECRET === undefined), {
    path: ['STRIPE_WEBHOOK_SECRET'],
    message: 'STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET go together',
  })
  .refine((env) => (env.STRIPE_SECRET_KEY_PARAMETER === undefined) === (env.STRIPE_WEBHOOK_SECRET_PARAMETER === undefined), {
    path: ['STRIPE_WEBHOOK_SECRET_PARAMETER'],
    message: 'STRIPE_SECRET_KEY_PARAMETER and STRIPE_WEBHOOK_SECRET_PARAMETER go together',
  })
  .refine((env) => env.STRIPE_SECRET_KEY === undefined || env.STRIPE_SECRET_KEY_PARAMETER === undefined, {
    path: ['STRIPE_SECRET_KEY_PARAMETER'],
    message: 'set the Stripe secrets or their SSM parameters, not both',
  });

export type ApiEnv = z.output<typeof apiEnvSchema>;

export function readApiEnv(env: NodeJS.ProcessEnv): ApiEnv {
  const parsed = apiEnvSchema.safeParse(env);
  if (!parsed.success) throw new Error(`API configuration is invalid:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export function assetsBaseUrl(env: ApiEnv): string {
  if (env.ASSETS_BASE_URL) return env.ASSETS_BASE_URL;
  if (env.AWS_ENDPOINT_URL_S3) return `${env.AWS_ENDPOINT_URL_S3.replace(/\/+$/, '')}/${env.ASSETS_BUCKET}`;
  return `https://${env.ASSETS_BUCKET}.s3.${env.AWS_REGION}.amazonaws.com`;
}

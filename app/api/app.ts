/**
 * The API as an Express app, importable without listening: tests, the benchmark, the local
 * environment and server.ts all build it from explicit dependencies.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { pinoHttp } from 'pino-http';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Database } from '../../core/catalog/index.ts';
import { AUTH_RATE_LIMIT, DOWNLOAD_RATE_LIMIT, MAX_API_JSON_BYTES, UPLOAD_RATE_LIMIT } from '../../core/limits.ts';
import { noCdn, type CdnInvalidator } from '../../core/cdn/invalidation.ts';
import { ObjectStore, type Buckets } from '../../core/storage/index.ts';
import { adminRoutes } from './admin/routes.ts';
import { loadSession } from './auth/middleware.ts';
import { authRoutes, type RateLimitSetting } from './auth/routes.ts';
import { PreviewExposure, type FamilyPreviewRequests } from './catalog/preview-exposure.ts';
import { catalogRoutes } from './catalog/routes.ts';
import type { CatalogReadCache } from './catalog/read-cache.ts';
import { useCursorSecret } from './catalog/cursor.ts';
import { imageRoutes } from './catalog/image-routes.ts';
import { AssetUrls } from './catalog/urls.ts';
import type { ApiContext } from './context.ts';
import { contributorRoutes, DRAFT_STREAM_DEFAULTS, type DraftStreamOptions } from './contributor/routes.ts';
import type { UploadChangeFeed } from './contributor/upload-events.ts';
import { apiDb } from './tables.ts';
import { Mailer, type MailSettings } from './mail/mailer.ts';
import { downloadRoutes } from './downloads/routes.ts';
import { customDownloadRoutes } from './downloads/custom-routes.ts';
import { Customiser } from './downloads/customiser.ts';
import type { Slots } from './downloads/slots.ts';
import { ApiError, errorHandler, unknownRoute } from './http/errors.ts';
import { clientAddress } from './http/client-address.ts';
import { refuseNulCharacters } from './http/input-guard.ts';
import { RouteTable } from './http/route.ts';
import type { SearchBackend } from './search/backend.ts';
import { PostgresSearch } from './search/postgres.ts';
import { sellingAccountRoutes } from './selling/account-routes.ts';
import { sellingAdminRoutes } from './selling/admin-routes.ts';
import { checkoutRoutes, mountStripeWebhook } from './selling/checkout-routes.ts';
import { DEFAULT_COMMISSION_PERCENT, type SellingSettings } from './selling/settings.ts';

export interface ApiDeps {
  db: Kysely<Database>;
  s3: S3Client;
  /** The client for the API's own object reads and writes (see S3_INTERNAL_ENDPOINT); default `s3`. */
  objectS3?: S3Client;
  buckets: Buckets;
  /** Public base URL of the assets bucket (CDN in prod), for rendition and preview URLs. */
  assetsBaseUrl: string;
  logger: Logger;
  /** Default: PostgreSQL search on `db`. */
  search?: SearchBackend;
  /** The pipeline's queues (retry of failed images); without them that route answers 503. */
  jobs?: ApiContext['jobs'];
  /** `Secure` on the session cookie; true in production (HTTPS). */
  secureCookies: boolean;
  rateLimits?: { auth?: RateLimitSetting; upload?: RateLimitSetting; download?: RateLimitSetting; customise?: { burst: RateLimitSetting; perDay: number } };
  /** Express `trust proxy`: nginx on loopback in front, so client IPs come from X-Forwarded-For. */
  trustProxy?: boolean | string | number;
  /**
   * A header naming the viewer's address set by the outermost proxy (`CloudFront-Viewer-Address` in prod),
   * believed only from a trusted proxy (trustProxy); rate limits and logs key on it (http/client-address.ts).
   */
  clientAddressHeader?: string;
  /**
   * The origin browsers reach the marketplace on (`https://marketplace.example`): mutations from any other
   * origin are refused (http/csrf.ts). Without it, only a request's own Host counts as its origin.
   */
  publicOrigin?: string;
  /** HMAC key of page cursors, the same on every API host (CURSOR_SECRET); default: a local-only key. */
  cursorSecret?: string;
  /** Check every JSON reply against its documented schema (tests). */
  validateResponses?: boolean;
  /**
   * Keeps public list and search replies while it follows the catalog's changes (followCatalogChanges).
   * Without it every request reads the database.
   */
  catalogCache?: CatalogReadCache;
  /** The CDN in front of the assets bucket, told when previews are withdrawn. Default: none (local). */
  cdn?: CdnInvalidator;
  /** Where family-preview rebuilds go (PreviewMaker's queue). Without it, family previews are not rebuilt on publish, unpublish or block. */
  familyPreviews?: FamilyPreviewRequests;
  /** Pushes draft changes and session ends to event streams (followUploadChanges); without it they poll. */
  uploadChanges?: UploadChangeFeed;
  /** Limits of draft event streams (per-account cap, lifetime, fallback poll interval). */
  draftStreams?: Partial<Omit<DraftStreamOptions, 'feed'>>;
  /** The customised renders' slots and waiting line (default CUSTOM_RENDER_CONCURRENCY, CUSTOM_RENDER_QUEUE). */
  customRenderSlots?: Slots;
  /** Checkout, refunds, payouts: Stripe and the commission. Without a gateway those routes answer 503. */
  selling?: Partial<SellingSettings>;
  /** Where account mails go (SES) and the origin their links use. Without it no mail is sent (a warning is logged). */
  mail?: MailSettings;
}

export function createApp(deps: ApiDeps): Express {
  const db = apiDb(deps.db);
  if (deps.cursorSecret) useCursorSecret(deps.cursorSecret);
  const ctx: ApiContext = {
    db,
    urls: new AssetUrls(deps.assetsBaseUrl),
    search: deps.search ?? new PostgresSearch(db),
    s3: deps.s3,
    objectS3: deps.objectS3 ?? deps.s3,
    buckets: deps.buckets,
    exposure: new PreviewExposure({
      db,
      store: new ObjectStore(deps.s3, deps.buckets),
      cdn: deps.cdn ?? noCdn,
      families: deps.familyPreviews,
      logger: deps.logger,
    }),
    cookies: { secure: deps.secureCookies },
    ...(deps.jobs ? { jobs: deps.jobs } : {}),
    selling: { commissionPercent: DEFAULT_COMMISSION_PERCENT, ...deps.selling },
    mail: new Mailer(deps.mail, deps.logger),
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? 'loopback');
  app.set('query parser', 'simple');
  // One spelling per route: `/api/AUTH/signin` or `/api/auth/signin/` would otherwise reach the
  // handler while slipping past path-based limits in front of it (app/nginx).
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  app.use(clientAddress({ header: deps.clientAddressHeader }));

  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // Health checks every few seconds would drown the log.
      autoLogging: { ignore: (req) => req.url === '/api/health' },
      // Chosen fields, not the default serializers' every header: those logged the Cookie request header and
      // the Set-Cookie reply of a sign-in, so anyone reading the logs could take over sessions. Picking
      // from the raw objects also spares every request the work of serialising all headers.
      wrapSerializers: false,
      serializers: { req: requestLogFields, res: (res: ServerResponse) => ({ statusCode: res.statusCode }) },
    }),
  );
  app.use(helmet());
  // Before the JSON parser and the session: Stripe signs the raw bytes, and sends no cookie.
  mountStripeWebhook(app, ctx);
  app.use(requireJsonForMutations);
  app.use(express.json({ limit: MAX_API_JSON_BYTES, strict: true }));
  app.use(refuseNulCharacters);
  app.use(loadSession(db));

  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'session', { type: 'apiKey', in: 'cookie', name: 'sid' });
  const routes = new RouteTable({
    registry,
    validateResponses: deps.validateResponses,
    cache: deps.catalogCache,
    trustedOrigins: deps.publicOrigin ? [deps.publicOrigin] : [],
  });
  opsRoutes(routes, ctx);
  authRoutes(routes, ctx, { auth: deps.rateLimits?.auth ?? AUTH_RATE_LIMIT });
  catalogRoutes(routes, ctx);
  const customiser = new Customiser(ctx, deps.customRenderSlots);
  imageRoutes(routes, ctx, customiser);
  contributorRoutes(routes, ctx, { upload: deps.rateLimits?.upload ?? UPLOAD_RATE_LIMIT }, {
    ...DRAFT_STREAM_DEFAULTS,
    ...deps.draftStreams,
    feed: deps.uploadChanges,
  });
  downloadRoutes(routes, ctx, deps.rateLimits?.download ?? DOWNLOAD_RATE_LIMIT);
  customDownloadRoutes(routes, ctx, customiser, deps.rateLimits?.customise);
  checkoutRoutes(routes, ctx);
  sellingAdminRoutes(routes, ctx);
  sellingAccountRoutes(routes, ctx);
  adminRoutes(routes, ctx);

  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'SVG marketplace API', version: '1.0.0', description: 'See app/api/ROUTES.md.' },
  });
  routes.router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });

  app.use('/api', routes.router);
  app.use(unknownRoute);
  app.use(errorHandler);
  return app;
}

/** What a request log line says about the request (Express request: `ip` follows `trust proxy`). */
function requestLogFields(req: IncomingMessage) {
  const { id, method, originalUrl, clientAddress: ip } = req as express.Request;
  return { id, method, url: originalUrl, ip, userAgent: req.headers['user-agent'] };
}

/** A cross-site form can only send form encodings; JSON-only mutations (with SameSite cookies) stop CSRF. */
const requireJsonForMutations: RequestHandler = (req, _res, next) => {
  const mutation = req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS';
  const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
  if (mutation && hasBody && !req.is('application/json')) {
    throw new ApiError(415, 'unsupported_media_type', 'Send the body as application/json.');
  }
  next();
};

function opsRoutes(routes: RouteTable, ctx: ApiContext): void {
  routes.add({
    method: 'get',
    path: '/health',
    summary: 'Liveness: the process serves requests',
    tag: 'ops',
    access: 'public',
    responses: { 200: { description: 'Alive', schema: z.object({ status: z.literal('ok') }) } },
    async handle() {
      return { body: { status: 'ok' } };
    },
  });

  const checkSchema = z.enum(['ok', 'failed']);
  routes.add({
    method: 'get',
    path: '/ready',
    summary: 'Readiness: database, storage and search answer',
    tag: 'ops',
    access: 'public',
    responses: {
      200: {
        description: 'Ready',
        schema: z.object({ status: z.literal('ready'), checks: z.object({ database: checkSchema, storage: checkSchema, search: checkSchema }) }),
      },
      503: { description: 'A dependency is down (error body; message names it)' },
    },
    async handle({ req }) {
      const check = async (name: string, probe: () => Promise<unknown>) => {
        try {
          await probe();
          return 'ok' as const;
        } catch (error) {
          req.log.warn({ err: error, check: name }, 'readiness check failed');
          return 'failed' as const;
        }
      };
      const [database, storage, search] = await Promise.all([
        check('database', () => sql`select 1`.execute(ctx.db)),
        check('storage', () => ctx.s3.send(new HeadBucketCommand({ Bucket: ctx.buckets.uploads }))),
        check('search', () => ctx.search.ping()),
      ]);
      const checks = { database, storage, search };
      const failed = Object.entries(checks).filter(([, state]) => state === 'failed').map(([name]) => name);
      if (failed.length > 0) throw new ApiError(503, 'not_ready', `Not ready: ${failed.join(', ')} failed.`);
      return { body: { status: 'ready', checks } };
    },
  });
}

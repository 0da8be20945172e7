/**
 * One definition per route drives everything about it: access check, validation of params, query and
 * body (every issue reported at once), the handler, and its OpenAPI entry. The document can therefore
 * not drift from what the code accepts; with `validateResponses` (tests) replies are checked too.
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { SessionAccount } from '../auth/accounts.ts';
import type { CatalogReadCache } from '../catalog/read-cache.ts';
import type { Role } from '../tables.ts';
import { crossOriginProtection } from './csrf.ts';
import { ApiError, issuesFrom, type ErrorIssue } from './errors.ts';
import { errorResponses } from './schemas.ts';

export type Access = 'public' | 'signed-in' | readonly Role[];

type Method = 'get' | 'post' | 'patch' | 'delete';

/** A reply body that is JSON text already (pages PostgreSQL builds): sent as is, not parsed or serialised. */
export class JsonText {
  constructor(readonly text: string) {}
}

export interface Reply {
  status?: number;
  body?: unknown;
}

export interface RouteContext<P, Q, B, A extends Access> {
  req: Request;
  res: Response;
  params: P;
  query: Q;
  body: B;
  account: A extends 'public' ? SessionAccount | null : SessionAccount;
}

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Default application/json. */
  contentType?: string;
}

export interface RouteSpec<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  A extends Access = Access,
> {
  method: Method;
  /** Express syntax, relative to /api: `/products/:productId`. */
  path: string;
  summary: string;
  tag: string;
  access: A;
  params?: P;
  query?: Q;
  body?: B;
  responses: Record<number, ResponseSpec>;
  /**
   * Replies kept in the catalog read cache, keyed by path, params and validated query: only for public routes
   * whose 200 reply is JsonText and depends on nothing else (not the account, not a header).
   */
  cached?: boolean;
  /**
   * A write to what the cached public reads show (a set's title, price, tags, visibility): the cache is
   * emptied once it succeeds, so its author reads the change at once; everyone else's reads follow the change
   * notification a moment later. Other writes (sign-in, downloads, checkout) leave the cache alone: anyone
   * may call some of them anonymously, and emptying on each would put every visitor on the uncached path.
   */
  changesCatalog?: true;
  /** Run after the access check, before validation (rate limits keyed by account). */
  before?: RequestHandler[];
  /**
   * Every mutation refuses cross-origin browser requests (http/csrf.ts). `'exempt-signed-webhook'` lifts that
   * for a route called by another service, never a browser, whose handler verifies a signature over the body
   * (a payment provider's webhook): it carries no session cookie, so there is nothing to forge.
   */
  csrf?: 'exempt-signed-webhook';
  /** A reply is sent as JSON; a handler that streams writes the response itself and returns nothing. */
  handle(ctx: RouteContext<z.output<P>, z.output<Q>, z.output<B>, A>): Promise<Reply | void>;
}

export interface RouteTableOptions {
  registry: OpenAPIRegistry;
  /** Check every JSON reply against its response schema (tests): a mismatch is a 500. */
  validateResponses?: boolean;
  /** Where `cached` routes keep their replies; without it they read every time. */
  cache?: CatalogReadCache;
  /** Origins that may send mutations (the marketplace's public origin), besides the request's own Host. */
  trustedOrigins?: readonly string[];
}

export class RouteTable {
  // Case-sensitive and strict: one spelling per route, so limits keyed on the path (app/nginx) cannot be sidestepped.
  readonly router: Router = express.Router({ caseSensitive: true, strict: true });
  readonly #options: RouteTableOptions;
  readonly #sameOrigin: RequestHandler;

  constructor(options: RouteTableOptions) {
    this.#options = options;
    this.#sameOrigin = crossOriginProtection({ trustedOrigins: options.trustedOrigins ?? [] });
  }

  add<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, A extends Access>(spec: RouteSpec<P, Q, B, A>): void {
    this.#document(spec);
    if (spec.cached && spec.access !== 'public') throw new Error(`${spec.path}: only public routes can be cached`);
    if (spec.changesCatalog && spec.method === 'get') throw new Error(`${spec.path}: a GET changes nothing`);
    const cache = spec.cached ? this.#options.cache : undefined;
    const handler: RequestHandler = async (req, res) => {
      const input = parseInput(spec, req);
      const account = req.account ?? null;
      const handle = () =>
        spec.handle({ req, res, ...input, account } as RouteContext<z.output<P>, z.output<Q>, z.output<B>, A>);
      // While the cache cannot follow changes it keeps nothing: reply as an uncached route does.
      if (cache?.following) {
        // Validated input: "Snow " and "snow" share an entry. Zod builds outputs in schema order.
        const key = `${spec.path} ${JSON.stringify(input.params ?? null)} ${JSON.stringify(input.query ?? null)}`;
        const cached = await cache.reply(key, async () => cacheableBody(spec, await handle()));
        if (this.#options.validateResponses) checkResponse(spec, 200, new JsonText(cached.text));
        res.setHeader('Vary', 'Accept-Encoding');
        res.status(200).type('json');
        if (req.acceptsEncodings('gzip')) {
          res.setHeader('Content-Encoding', 'gzip');
          res.setHeader('ETag', cached.gzipEtag);
          res.send(cached.gzip);
        } else {
          res.setHeader('ETag', cached.etag);
          res.send(cached.text);
        }
        return;
      }
      const reply = await handle();
      // The change notification arrives a moment after the commit; the author's next read must see it already.
      if (spec.changesCatalog) this.#options.cache?.drop();
      if (!reply || res.headersSent) return;
      const status = reply.status ?? 200;
      if (reply.body === undefined) {
        res.status(status).end();
        return;
      }
      if (this.#options.validateResponses) checkResponse(spec, status, reply.body);
      if (reply.body instanceof JsonText) sendJsonText(res, status, reply.body.text);
      else res.status(status).json(reply.body);
    };
    const originCheck = spec.method === 'get' || spec.csrf === 'exempt-signed-webhook' ? [] : [this.#sameOrigin];
    this.router[spec.method](spec.path, ...originCheck, checkAccess(spec.access), ...(spec.before ?? []), handler);
  }

  #document(spec: RouteSpec<z.ZodType, z.ZodType, z.ZodType, Access>): void {
    const security = spec.access === 'public' ? [] : [{ session: [] }];
    const roles = typeof spec.access === 'string' ? spec.access : `roles: ${spec.access.join(', ')}`;
    this.#options.registry.registerPath({
      method: spec.method,
      path: `/api${spec.path.replace(/:(\w+)/g, '{$1}')}`,
      summary: spec.summary,
      description: `Access: ${roles}.`,
      tags: [spec.tag],
      security,
      request: {
        ...(spec.params ? { params: spec.params as z.ZodObject } : {}),
        ...(spec.query ? { query: spec.query as z.ZodObject } : {}),
        ...(spec.body ? { body: { content: { 'application/json': { schema: spec.body } } }, required: true } : {}),
      },
      responses: {
        ...Object.fromEntries(
          Object.entries(spec.responses).map(([status, response]) => [
            status,
            {
              description: response.description,
              ...(response.schema
                ? { content: { [response.contentType ?? 'application/json']: { schema: response.schema } } }
                : {}),
            },
          ]),
        ),
        ...errorResponses(spec.access !== 'public', Boolean(spec.params || spec.query || spec.body)),
      },
    });
  }
}

/**
 * JSON text sent as it is, past Express's res.send: that hashes the whole body for a weak ETag (a 55 KB icon
 * search page on every uncached request) and looks the content type up by name. A reply read afresh from the
 * database gets no validator; the cached ones carry their strong ETag (above). Node sets Content-Length and
 * sends no body to a HEAD request.
 */
function sendJsonText(res: Response, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(text);
}

function cacheableBody(spec: RouteSpec<z.ZodType, z.ZodType, z.ZodType, Access>, reply: Reply | void): JsonText {
  if (reply && (reply.status ?? 200) === 200 && reply.body instanceof JsonText) return reply.body;
  throw new Error(`${spec.method.toUpperCase()} ${spec.path} is cached but did not reply 200 with JsonText`);
}

function checkAccess(access: Access): RequestHandler {
  return (req, _res, next) => {
    if (access === 'public') return next();
    if (!req.account) throw new ApiError(401, 'unauthenticated', 'Sign in first.');
    if (access !== 'signed-in' && !access.includes(req.account.role)) {
      throw new ApiError(403, 'forbidden', `This needs one of these roles: ${access.join(', ')}.`);
    }
    next();
  };
}

function parseInput(spec: RouteSpec<z.ZodType, z.ZodType, z.ZodType, Access>, req: Request) {
  const issues: ErrorIssue[] = [];
  const parse = (where: 'params' | 'query' | 'body', schema: z.ZodType | undefined, value: unknown) => {
    if (!schema) return undefined;
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    issues.push(...issuesFrom(where, result.error));
    return undefined;
  };
  const input = {
    params: parse('params', spec.params, req.params),
    query: parse('query', spec.query, req.query),
    body: parse('body', spec.body, req.body),
  };
  if (issues.length > 0) throw new ApiError(400, 'validation_failed', 'The request is not valid.', issues);
  return input;
}

function checkResponse(spec: RouteSpec<z.ZodType, z.ZodType, z.ZodType, Access>, status: number, body: unknown): void {
  const schema = spec.responses[status]?.schema;
  if (!schema) throw new Error(`${spec.method.toUpperCase()} ${spec.path} replied ${status}, which it does not document`);
  // Dates become strings on the wire; check what the client receives.
  const wire = body instanceof JsonText ? body.text : JSON.stringify(body);
  const result = schema.safeParse(JSON.parse(wire));
  if (!result.success) {
    throw new Error(`${spec.method.toUpperCase()} ${spec.path} ${status} reply breaks its schema: ${z.prettifyError(result.error)}`);
  }
}

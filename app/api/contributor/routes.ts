import type { Response } from 'express';
import { z } from 'zod';
import { now } from '../../../core/catalog/db.ts';
import { UPLOAD_RATE_LIMIT } from '../../../core/limits.ts';
import { clientKey, limiter, type RateLimitSetting } from '../auth/routes.ts';
import { decodeCursor, pageFrom } from '../catalog/cursor.ts';
import { findImage, newestProductsPage, productRows } from '../catalog/products.ts';
import { productDetail, productFor } from '../catalog/routes.ts';
import { isAdmin, isOwner, type ApiContext } from '../context.ts';
import { ApiError, forbidden, invalidState, notFound } from '../http/errors.ts';
import { closeCheckoutsOfWithdrawnSet } from '../selling/open-checkouts.ts';
import { DEFAULT_PIPELINE_SETTINGS } from '../../../core/pipeline/context.ts';
import { retryFailedImages } from '../../../core/pipeline/retry-set.ts';
import type { ResponseSpec, RouteTable } from '../http/route.ts';
import { emptyBody, pageOf, pageQuery } from '../http/schemas.ts';
import {
  draftSchema,
  imageSummarySchema,
  imageTags,
  imageTitle,
  presignedPostSchema,
  productDescription,
  productDetailSchema,
  productSummarySchema,
  productLicense,
  productPrice,
  productTags,
  productTitle,
} from '../schemas.ts';
import type { SessionAccount } from '../auth/accounts.ts';
import { accountForToken } from '../auth/sessions.ts';
import type { UploadChangeFeed } from './upload-events.ts';
import { createDraft, findDraft, listDrafts, renewUpload, TERMINAL_STATES, type DraftView } from './drafts.ts';

/** How often a stream proves the connection alive, and re-checks its session even without a notification. */
const HEARTBEAT_MS = 15_000;

/** Limits of the draft event streams (GET /drafts/:draftId/events). */
export interface DraftStreamOptions {
  /** Pushes changes; without it (or while it is down) streams poll every `pollMs`. */
  feed?: UploadChangeFeed;
  /** Open streams per account in this process; one more is a 429. */
  maxPerAccount: number;
  /** A stream ends after this long; EventSource reconnects (and is checked afresh). */
  maxSeconds: number;
  pollMs: number;
}

export const DRAFT_STREAM_DEFAULTS: DraftStreamOptions = { maxPerAccount: 5, maxSeconds: 10 * 60, pollMs: 2_000 };

const draftParams = z.object({ draftId: z.uuid() });
const productParams = z.object({ productId: z.uuid() });
const productBody = z.object({ product: productDetailSchema });

function contributorId(account: SessionAccount): string {
  // The role check put a contributor here; accounts_contributor_iff_role guarantees the record.
  if (!account.contributor) throw forbidden('Only contributors have drafts and sets.');
  return account.contributor.id;
}

/**
 * Starting uploads and publishing need a verified address (hostile review finding 10): unverified accounts
 * cost nothing to make, so without this each throwaway sign-up would buy its own share of pipeline work
 * (and a public page under an address nobody proved). Viewing and editing one's sets stays open.
 */
function requireVerified(account: SessionAccount, action: string): void {
  if (!account.emailVerified) {
    throw new ApiError(403, 'forbidden', `Confirm your e-mail address (the link we mailed you) before ${action}.`);
  }
}

/** The caller's own product (an admin is no owner: admins moderate, they do not edit). */
async function ownProduct(ctx: ApiContext, account: SessionAccount, productId: string) {
  const row = await productFor(ctx, account, productId);
  if (!isOwner(account, row.contributorId)) throw forbidden('Only the contributor who uploaded this set may change it.');
  return row;
}

const BLOCKED_EDIT = 'An admin blocked this set; it cannot be edited while it is blocked. Ask the marketplace to review the block.';

/**
 * The caller's own set, to edit: not while an admin blocks it (the block froze what the admin reviewed;
 * edits would change it behind their back). The update re-checks, so a block landing after this check
 * and before the update still refuses the edit.
 */
async function editableProduct(ctx: ApiContext, account: SessionAccount, productId: string) {
  const row = await ownProduct(ctx, account, productId);
  if (row.blocked) throw invalidState(BLOCKED_EDIT);
  return row;
}

export function contributorRoutes(
  routes: RouteTable,
  ctx: ApiContext,
  rateLimits: { upload: RateLimitSetting } = { upload: UPLOAD_RATE_LIMIT },
  streams: DraftStreamOptions = DRAFT_STREAM_DEFAULTS,
): void {
  const openStreams = new Map<string, number>();
  // Keyed by account: the access check runs first, so every request here is signed in.
  const uploadLimit = limiter(rateLimits.upload, (req) => req.account?.id ?? clientKey(req));

  routes.add({
    method: 'post',
    path: '/drafts',
    summary: 'Start a set: a draft and a presigned POST for its ZIP',
    tag: 'contributor',
    access: ['contributor'],
    before: [uploadLimit],
    body: emptyBody,
    responses: {
      201: { description: 'The draft and where to POST the ZIP', schema: z.object({ draft: draftSchema, upload: presignedPostSchema }) },
      403: { description: 'The account has not verified its e-mail address' },
      429: { description: 'Too many drafts' },
    },
    async handle({ account }) {
      requireVerified(account, 'uploading sets');
      return { status: 201, body: await createDraft(ctx, contributorId(account)) };
    },
  });

  routes.add({
    method: 'post',
    path: '/drafts/:draftId/upload',
    summary: 'A fresh presigned POST for a draft whose ZIP has not arrived',
    tag: 'contributor',
    access: ['contributor'],
    before: [uploadLimit],
    params: draftParams,
    body: emptyBody,
    responses: {
      200: { description: 'Where to POST the ZIP', schema: z.object({ upload: presignedPostSchema }) },
      403: { description: 'The account has not verified its e-mail address' },
      404: { description: 'No such draft of yours' },
      409: { description: 'The ZIP already arrived' },
    },
    async handle({ account, params }) {
      requireVerified(account, 'uploading sets');
      const owner = contributorId(account);
      if (!(await findDraft(ctx, owner, params.draftId))) throw notFound('The draft');
      const upload = await renewUpload(ctx, owner, params.draftId);
      if (!upload) throw invalidState('The ZIP of this draft has arrived; start a new draft to upload again.');
      return { body: { upload } };
    },
  });

  routes.add({
    method: 'get',
    path: '/drafts/:draftId',
    summary: "A draft's processing state, rejection reasons and progress",
    tag: 'contributor',
    access: ['contributor'],
    params: draftParams,
    responses: { 200: { description: 'The draft', schema: z.object({ draft: draftSchema }) }, 404: { description: 'No such draft of yours' } },
    async handle({ account, params }) {
      const draft = await findDraft(ctx, contributorId(account), params.draftId);
      if (!draft) throw notFound('The draft');
      return { body: { draft } };
    },
  });

  routes.add({
    method: 'get',
    path: '/drafts/:draftId/events',
    summary: "A draft's state as server-sent events until it is ready, rejected or failed",
    tag: 'contributor',
    access: ['contributor'],
    params: draftParams,
    responses: {
      200: {
        description: '`event: draft` with a Draft as data, at once and on every change; ends when the session does, and after a maximum lifetime',
        schema: z.string(),
        contentType: 'text/event-stream',
      },
      404: { description: 'No such draft of yours' },
      429: { description: 'Too many open streams for this account' },
    },
    async handle({ account, params, req, res }) {
      const owner = contributorId(account);
      const open = openStreams.get(account.id) ?? 0;
      if (open >= streams.maxPerAccount) {
        throw new ApiError(429, 'rate_limited', `At most ${streams.maxPerAccount} draft event streams may be open per account; close one first.`);
      }
      const first = await findDraft(ctx, owner, params.draftId);
      if (!first) throw notFound('The draft');
      openStreams.set(account.id, (openStreams.get(account.id) ?? 0) + 1);
      try {
        await streamDraft(res, first, {
          load: () => findDraft(ctx, owner, params.draftId),
          signedIn: async () => req.sessionToken !== undefined && (await accountForToken(ctx.db, req.sessionToken))?.id === account.id,
          gone: () => req.destroyed || res.destroyed,
          accountId: account.id,
          options: streams,
        });
      } finally {
        const left = (openStreams.get(account.id) ?? 1) - 1;
        if (left > 0) openStreams.set(account.id, left);
        else openStreams.delete(account.id);
      }
    },
  });

  routes.add({
    method: 'get',
    path: '/me/drafts',
    summary: "The contributor's drafts, newest first",
    tag: 'contributor',
    access: ['contributor'],
    query: pageQuery,
    responses: { 200: { description: 'A page of drafts', schema: pageOf(draftSchema) } },
    async handle({ account, query }) {
      const cursor = decodeCursor(query.cursor);
      const rows = await listDrafts(ctx, contributorId(account), query.limit + 1, cursor && { createdKey: String(cursor.k), id: cursor.id });
      const page = pageFrom(rows, query.limit, (row) => ({ k: row.createdKey, id: row.id }));
      return { body: { items: page.rows.map(({ createdKey: _key, ...draft }) => draft), nextCursor: page.nextCursor } };
    },
  });

  routes.add({
    method: 'get',
    path: '/me/products',
    summary: "The contributor's sets in every state, newest first",
    tag: 'contributor',
    access: ['contributor'],
    query: pageQuery,
    responses: { 200: { description: 'A page of sets', schema: pageOf(productSummarySchema) } },
    async handle({ account, query }) {
      const own = productRows(ctx.db).where('p.contributorId', '=', contributorId(account));
      return { body: await newestProductsPage(ctx.urls, own, query) };
    },
  });

  routes.add({
    method: 'patch',
    path: '/products/:productId',
    changesCatalog: true,
    summary: "Edit a set's title, description, tags, licence and price",
    tag: 'contributor',
    access: ['contributor'],
    params: productParams,
    body: z
      .object({
        title: productTitle.optional(),
        description: productDescription.nullable().optional(),
        tags: productTags.optional(),
        license: productLicense.optional(),
        // null = free. The same rules as the manifest's price.
        price: productPrice.nullable().optional(),
      })
      .strict()
      .refine((body) => Object.keys(body).length > 0, { message: 'send at least one of title, description, tags, license, price' }),
    responses: {
      200: { description: 'The edited set', schema: productBody },
      404: { description: 'Not found' },
      409: { description: 'An admin blocked the set: no edits while blocked' },
    },
    async handle({ account, params, body }) {
      await editableProduct(ctx, account, params.productId);
      const { price, ...fields } = body;
      // Summaries, search columns and the catalog change notification follow from this one update (0008, 0010).
      const result = await ctx.db
        .updateTable('products')
        .set({
          ...fields,
          ...(price === undefined ? {} : price === null || price.amount === 0 ? { priceCents: 0, currency: null } : { priceCents: price.amount, currency: price.currency }),
          updatedAt: now(),
        })
        .where('id', '=', params.productId)
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom('productBlocks').select('productId').where('productId', '=', params.productId))))
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) throw invalidState(BLOCKED_EDIT);
      return { body: { product: await productDetail(ctx, (await productFor(ctx, account, params.productId))) } };
    },
  });

  routes.add({
    method: 'patch',
    path: '/products/:productId/images/:imageId',
    changesCatalog: true,
    summary: "Edit an image's title and tags",
    tag: 'contributor',
    access: ['contributor'],
    params: z.object({ productId: z.uuid(), imageId: z.uuid() }),
    body: z
      .object({ title: imageTitle.optional(), tags: imageTags.optional() })
      .strict()
      .refine((body) => Object.keys(body).length > 0, { message: 'send at least one of title, tags' }),
    responses: {
      200: { description: 'The edited image', schema: z.object({ image: imageSummarySchema }) },
      404: { description: 'Not found' },
      409: { description: 'An admin blocked the set: no edits while blocked' },
    },
    async handle({ account, params, body }) {
      await editableProduct(ctx, account, params.productId);
      const updated = await ctx.db.transaction().execute(async (trx) => {
        // The set first: it re-checks the block, and the image's title is part of the set's search row.
        const set = await trx
          .updateTable('products')
          .set({ updatedAt: now() })
          .where('id', '=', params.productId)
          .where(({ not, exists, selectFrom }) => not(exists(selectFrom('productBlocks').select('productId').where('productId', '=', params.productId))))
          .executeTakeFirst();
        if (set.numUpdatedRows === 0n) throw invalidState(BLOCKED_EDIT);
        const result = await trx
          .updateTable('images')
          .set({ ...body, updatedAt: now() })
          .where('id', '=', params.imageId)
          .where('productId', '=', params.productId)
          .executeTakeFirst();
        return result.numUpdatedRows > 0n;
      });
      if (!updated) throw notFound('The image');
      return { body: { image: (await findImage(ctx.db, ctx.urls, params.imageId))! } };
    },
  });

  routes.add({
    method: 'post',
    path: '/products/:productId/retry',
    summary: "Retry a failed set's failed images (only those); again while it is processing re-sends their jobs",
    tag: 'contributor',
    access: ['contributor', 'admin'],
    params: productParams,
    body: emptyBody,
    responses: {
      202: {
        description: 'The failed images are queued again, each named with the reason it had failed; follow the draft for progress',
        schema: z.object({
          productId: z.uuid(),
          images: z.number().int(),
          retried: z.array(z.object({ file: z.string(), reason: z.string().nullable() })),
        }),
      },
      404: { description: 'Not found' },
      409: { description: 'The set is ready (nothing to retry), rendering and made progress in the last two minutes (its jobs are queued), or blocked by an admin' },
      503: { description: 'Retrying is not configured on this server' },
    },
    async handle({ account, params }) {
      // Contributors retry their own sets, not while blocked (rendering costs the platform); admins any set.
      const row = isAdmin(account) ? await productFor(ctx, account, params.productId) : await editableProduct(ctx, account, params.productId);
      if (!ctx.jobs) throw new ApiError(503, 'not_ready', 'Retrying failed images is not available on this server.');
      const outcome = await retryFailedImages(
        { db: ctx.db, queues: ctx.jobs.queues, settings: { ...DEFAULT_PIPELINE_SETTINGS, previewDelaySeconds: ctx.jobs.watchdogDelaySeconds } },
        row.id,
      );
      if (outcome.status === 'missing') throw notFound('The set');
      if (outcome.status === 'not-failed') throw invalidState('The set is ready; only a failed set can be retried.');
      if (outcome.status === 'already-queued') {
        throw invalidState(`The set's images are queued and rendering. If it makes no progress, retry in ${outcome.retryAfterSeconds} s.`);
      }
      const retried = outcome.retried.map(({ file, reason }) => ({ file, reason }));
      return { status: 202, body: { productId: row.id, images: outcome.images, retried } };
    },
  });

  for (const publish of [true, false]) {
    routes.add({
      method: 'post',
      path: `/products/:productId/${publish ? 'publish' : 'unpublish'}`,
      changesCatalog: true,
      summary: publish ? 'Publish a ready set' : 'Take a set off the storefront',
      tag: 'contributor',
      access: publish ? ['contributor'] : ['contributor', 'admin'],
      params: productParams,
      body: emptyBody,
      responses: publishResponses(publish),
      async handle({ account, params, req }) {
        if (publish) requireVerified(account, 'publishing sets');
        const row = publish || !isAdmin(account) ? await ownProduct(ctx, account, params.productId) : await productFor(ctx, account, params.productId);
        if (publish && row.status !== 'ready') throw invalidState(`The set is ${row.status}; only a ready set can be published.`);
        if (publish && row.blocked) throw invalidState('An admin blocked this set; it cannot be published.');
        if (publish) {
          await ctx.db.updateTable('products').set({ published: true, updatedAt: now() }).where('id', '=', row.id).execute();
          await ctx.exposure.requestFamilyPreview(row.familyId);
        } else {
          // The URLs handed out while it was public stop working (preview-exposure.ts).
          await ctx.exposure.hideSet(row.id, { rotate: 'if-published' }, async (trx) => {
            await trx.updateTable('products').set({ published: false, updatedAt: now() }).where('id', '=', row.id).execute();
          });
          // Checkout pages opened while it was on sale stop taking payment.
          await closeCheckoutsOfWithdrawnSet(ctx, row.id, req.log);
        }
        return { body: { product: await productDetail(ctx, (await productFor(ctx, account, row.id))) } };
      },
    });
  }
}

function publishResponses(publish: boolean): Record<number, ResponseSpec> {
  const responses: Record<number, ResponseSpec> = {
    200: { description: 'The set', schema: productBody },
    404: { description: 'Not found' },
  };
  if (publish) {
    responses[403] = { description: 'The account has not verified its e-mail address' };
    responses[409] = { description: 'Not ready, or blocked' };
  }
  return responses;
}

/**
 * Server-sent events: the draft now, then each change, until a terminal state, the client leaves, the session
 * ends (signed out here or on another host: a `session_changes` notification; expired: the heartbeat check)
 * or the stream's lifetime is up. Changes arrive as notifications (upload-events.ts); polling only while
 * the feed is down.
 */
async function streamDraft(
  res: Response,
  first: DraftView,
  stream: {
    load: () => Promise<DraftView | undefined>;
    signedIn: () => Promise<boolean>;
    gone: () => boolean;
    accountId: string;
    options: DraftStreamOptions;
  },
): Promise<void> {
  const { feed, maxSeconds, pollMs } = stream.options;
  res.status(200).set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    // nginx must pass events through as they come.
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  const send = (draft: DraftView) => res.write(`event: draft\ndata: ${JSON.stringify(draft)}\n\n`);
  send(first);

  let wake: () => void = () => {};
  let changed = false;
  let sessionEvent = false;
  const onUpload = (id: string) => {
    if (id === first.id || id === first.productId) {
      changed = true;
      wake();
    }
  };
  const onSession = (accountId: string) => {
    if (accountId === stream.accountId) {
      sessionEvent = true;
      wake();
    }
  };
  const onResync = () => {
    changed = true;
    sessionEvent = true;
    wake();
  };
  const onClose = () => wake();
  feed?.events.on('upload', onUpload);
  feed?.events.on('session', onSession);
  feed?.events.on('resync', onResync);
  res.on('close', onClose);

  const endsAt = Date.now() + maxSeconds * 1000;
  let last = JSON.stringify(first);
  let lastWrite = Date.now();
  let lastSessionCheck = Date.now();
  let state = first.state;
  try {
    while (!TERMINAL_STATES.has(state) && !stream.gone()) {
      const polling = !feed?.following;
      const wait = Math.min(polling ? pollMs : HEARTBEAT_MS, endsAt - Date.now());
      if (!changed && !sessionEvent && wait > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      wake = () => {};
      if (stream.gone() || Date.now() >= endsAt) break;
      if (sessionEvent || polling || Date.now() - lastSessionCheck >= HEARTBEAT_MS) {
        sessionEvent = false;
        lastSessionCheck = Date.now();
        if (!(await stream.signedIn())) break;
      }
      if (changed || polling) {
        changed = false;
        const draft = await stream.load();
        if (!draft) break;
        const text = JSON.stringify(draft);
        if (text !== last) {
          send(draft);
          last = text;
          lastWrite = Date.now();
          state = draft.state;
          continue;
        }
      }
      if (Date.now() - lastWrite >= HEARTBEAT_MS) {
        res.write(': heartbeat\n\n');
        lastWrite = Date.now();
      }
    }
  } finally {
    feed?.events.off('upload', onUpload);
    feed?.events.off('session', onSession);
    feed?.events.off('resync', onResync);
    res.off('close', onClose);
    res.end();
  }
}

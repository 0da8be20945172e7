/**
 * Set summaries built by PostgreSQL as one JSON text per page, sent as is. Parsing 25 rows of nested JSON
 * in the driver and serialising them again cost the API process most of a list request's CPU (measured:
 * 1.3–1.6 ms of 3–4.5 ms); one text value costs 0.34 ms. The shape is `ProductView` (products.ts) exactly,
 * keys in the same order: test/api/api.test.ts compares these pages with the summaries `presentProducts`
 * builds in JavaScript.
 */
import { sql, type RawBuilder } from 'kysely';
import type { License, ProductKind } from '../../../core/catalog/index.ts';
import type { ApiDb } from '../db.ts';
import type { Cursor } from './cursor.ts';

export type ListSort = 'newest' | 'oldest' | 'title';

export interface ListFilters {
  kind?: ProductKind;
  license?: License;
  familyId?: string;
  contributorSlug?: string;
  tag?: string;
}

export interface ListPageRequest {
  filters: ListFilters;
  sort: ListSort;
  cursor?: Cursor;
  limit: number;
  /** AssetUrls.base: rendition URLs are `<base>/<object key>`. */
  assetsBase: string;
}

export interface JsonPage {
  /** A JSON array of summaries, ready to send. */
  itemsJson: string;
  /** The sort key and id of the last summary when another page follows. */
  last: Cursor | null;
}

/**
 * `<base>/<key>`, as AssetUrls.of builds it. Rendition keys (core/storage/keys.ts) hold only UUIDs, digits,
 * letters, `/` and `.`, which encodeURIComponent leaves as they are, so plain concatenation is the same URL.
 */
function renditionUrl(base: string): RawBuilder<string> {
  return sql<string>`${base}::text || '/' || r.object_key`;
}

/** ISO 8601 in UTC with milliseconds, as JSON.stringify writes a Date (both truncate the microseconds). */
function isoTime(column: RawBuilder<unknown>): RawBuilder<string> {
  return sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** The cover (image at position 0) of product `p` with its renditions, largest first, or JSON null. */
function coverJson(base: string): RawBuilder<unknown> {
  return sql`(
    select json_build_object(
      'id', i.id, 'productId', i.product_id, 'position', i.position, 'title', i.title, 'tags', i.tags,
      'width', i.width, 'height', i.height, 'status', i.status,
      'renditions', coalesce(
        (select json_agg(json_build_object('size', r.size, 'format', r.format, 'width', r.width, 'height', r.height,
                                           'url', ${renditionUrl(base)})
                         order by r.size desc, r.format)
         from renditions r where r.image_id = i.id),
        '[]'::json))
    from images i where i.product_id = p.id and i.position = 0)`;
}

/**
 * One summary of product `p` (joined to family `f` and contributor `c`) as JSON. `blocked` is given:
 * every caller selects visible sets only. `extra` appends fields (search adds its score).
 */
function summaryJson(base: string, extra: RawBuilder<unknown> = sql``): RawBuilder<unknown> {
  return sql`json_build_object(
    'id', p.id, 'title', p.title, 'kind', p.kind, 'license', p.license, 'tags', p.tags,
    'price', case when p.price_cents > 0 and p.currency is not null
                  then json_build_object('amount', p.price_cents, 'currency', btrim(p.currency)) end,
    'imageCount', p.image_count, 'status', p.status, 'published', p.published, 'blocked', false,
    'family', json_build_object('id', f.id, 'slug', f.slug, 'title', f.title),
    'contributor', json_build_object('slug', c.slug, 'displayName', c.display_name),
    'cover', ${coverJson(base)},
    'createdAt', ${isoTime(sql`p.created_at`)}, 'updatedAt', ${isoTime(sql`p.updated_at`)}
    ${extra})`;
}

/**
 * Published, ready and not blocked. Literals, not parameters: the partial indexes of migration 0005
 * (`where published and status = 'ready'`) only serve a plan that sees these values (reads are prepared).
 */
const visible = sql`p.published and p.status = 'ready' and not exists (select 1 from product_blocks b where b.product_id = p.id)`;

function listConditions({ filters, sort, cursor }: ListPageRequest): RawBuilder<unknown>[] {
  const conditions: RawBuilder<unknown>[] = [visible];
  if (filters.kind) conditions.push(sql`p.kind = ${filters.kind}`);
  if (filters.license) conditions.push(sql`p.license = ${filters.license}`);
  if (filters.familyId) conditions.push(sql`p.family_id = ${filters.familyId}::uuid`);
  // By id, not `c.slug = …` on a join: the contributor's own keyset index answers (migration 0006).
  if (filters.contributorSlug) {
    conditions.push(sql`p.contributor_id = (select id from contributors where slug = ${filters.contributorSlug})`);
  }
  if (filters.tag) conditions.push(sql`${filters.tag}::text = any(p.tags)`);
  if (cursor) {
    if (sort === 'title') conditions.push(sql`(p.title, p.id) > (${String(cursor.k)}::text, ${cursor.id}::uuid)`);
    else {
      const after = sort === 'newest' ? sql`<` : sql`>`;
      conditions.push(sql`(p.created_at, p.id) ${after} (${String(cursor.k)}::timestamptz, ${cursor.id}::uuid)`);
    }
  }
  return conditions;
}

function listOrder(sort: ListSort): RawBuilder<unknown> {
  if (sort === 'title') return sql`p.title, p.id`;
  return sort === 'newest' ? sql`p.created_at desc, p.id desc` : sql`p.created_at, p.id`;
}

/**
 * One page of the storefront list in keyset order. The inner query reads limit + 1 rows from a keyset
 * index (one more tells whether another page follows); the outer one builds the JSON of the first `limit`.
 */
export async function listPageJson(db: ApiDb, request: ListPageRequest): Promise<JsonPage> {
  const order = listOrder(request.sort);
  const key = request.sort === 'title' ? sql`p.title` : sql`p.created_at::text`;
  const { rows } = await sql<{ items: string; more: boolean; lastKey: string | null; lastId: string | null }>`
    select
      coalesce(json_agg(${summaryJson(request.assetsBase)} order by p.ord) filter (where p.ord <= ${request.limit}), '[]')::text as items,
      count(*) > ${request.limit} as more,
      max(p.key) filter (where p.ord = ${request.limit}) as last_key,
      max(p.id::text) filter (where p.ord = ${request.limit}) as last_id
    from (
      select p.id, p.title, p.kind, p.license, p.tags, p.price_cents, p.currency, p.image_count, p.status,
        p.published, p.family_id, p.contributor_id, p.created_at, p.updated_at,
        ${key} as key, row_number() over (order by ${order}) as ord
      from products p
      where ${sql.join(listConditions(request), sql` and `)}
      order by ${order}
      limit ${request.limit + 1}
    ) p
    join families f on f.id = p.family_id
    join contributors c on c.id = p.contributor_id
  `.execute(db);
  const row = rows[0]!;
  return {
    itemsJson: row.items,
    last: row.more && row.lastKey !== null && row.lastId !== null ? { k: row.lastKey, id: row.lastId } : null,
  };
}

export interface ScoredId {
  productId: string;
  score: number;
}

/**
 * Summaries of search hits in hit order, each with its score, as one JSON array. Loaded and filtered again
 * here: a search index that lags must not show what is no longer visible.
 */
export async function scoredSummariesJson(db: ApiDb, assetsBase: string, hits: readonly ScoredId[]): Promise<string> {
  if (hits.length === 0) return '[]';
  const { rows } = await sql<{ items: string }>`
    select coalesce(json_agg(${summaryJson(assetsBase, sql`, 'score', h.score`)} order by h.ord), '[]')::text as items
    from unnest(${hits.map((hit) => hit.productId)}::uuid[], ${hits.map((hit) => hit.score)}::float8[])
         with ordinality as h(id, score, ord)
    join products p on p.id = h.id
    join families f on f.id = p.family_id
    join contributors c on c.id = p.contributor_id
    where ${visible}
  `.execute(db);
  return rows[0]!.items;
}

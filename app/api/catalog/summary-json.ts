/**
 * Pages of set summaries as one JSON text each, sent as is. Parsing 25 rows of nested JSON in the driver and
 * serialising them again cost the API process most of a list request's CPU (measured: 1.3–1.6 ms of
 * 3–4.5 ms); one text value costs 0.34 ms. Summaries are stored ready-made (migration 0008, kept current by
 * triggers): building them per page cost the database ~2.7 ms a page, which capped the list route near
 * 400 req/s. The shape is `ProductView` (products.ts) exactly, keys in the same order:
 * test/api/api.test.ts compares these pages with the summaries `presentProducts` builds in JavaScript.
 */
import { sql, type RawBuilder } from 'kysely';
import type { License, ProductKind } from '../../../core/catalog/index.ts';
import type { ApiDb } from '../tables.ts';
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
 * Stored summaries (migration 0008) joined into a JSON array with rendition URLs completed. They hold
 * `"url" : "<object key>"`; the URL is `<base>/<key>`, as AssetUrls.of builds it: rendition keys
 * (core/storage/keys.ts) hold only UUIDs, digits, letters, `/` and `.`, which encodeURIComponent leaves as
 * they are. The replaced text can only be that key: inside a JSON string every `"` is escaped, so `"url" : "`
 * occurs nowhere else. `summaries` is an SQL text aggregate of stored summaries, null when there are none.
 */
function summariesArray(base: string, summaries: RawBuilder<unknown>): RawBuilder<string> {
  return sql<string>`replace('[' || coalesce(${summaries}, '') || ']', '"url" : "', ${`"url" : "${base}/`}::text)`;
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
      ${summariesArray(request.assetsBase, sql`string_agg(s.summary, ',' order by p.ord) filter (where p.ord <= ${request.limit})`)} as items,
      count(*) > ${request.limit} as more,
      max(p.key) filter (where p.ord = ${request.limit}) as last_key,
      max(p.id::text) filter (where p.ord = ${request.limit}) as last_id
    from (
      select p.id, ${key} as key, row_number() over (order by ${order}) as ord
      from products p
      where ${sql.join(listConditions(request), sql` and `)}
      order by ${order}
      limit ${request.limit + 1}
    ) p
    join product_summaries s on s.product_id = p.id
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
  // The score goes in as the summary's last key: drop its closing brace, append, close again.
  const { rows } = await sql<{ items: string }>`
    select ${summariesArray(
      assetsBase,
      sql`string_agg(left(s.summary, -1) || ', "score" : ' || to_json(h.score)::text || '}', ',' order by h.ord)`,
    )} as items
    from unnest(${hits.map((hit) => hit.productId)}::uuid[], ${hits.map((hit) => hit.score)}::float8[])
         with ordinality as h(id, score, ord)
    join products p on p.id = h.id
    join product_summaries s on s.product_id = p.id
    where ${visible}
  `.execute(db);
  return rows[0]!.items;
}

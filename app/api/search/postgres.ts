/**
 * Search on PostgreSQL alone, in two indexed steps:
 * 1. Words: full-text on the product's weighted document with its image titles (migration 0007), each word
 *    exact (stemmed: "clouds" finds "cloud") or as a prefix ("wea" finds "weather"). GIN indexes answer
 *    both; only a capped set of candidates is ranked (RANKED_CANDIDATES).
 * 2. Typos, only when step 1 fills less than the page: trigram word similarity on product and image
 *    titles ("wether" finds "Weather"). Trigram lookups recheck many rows for common trigrams, so they
 *    run only when words alone found too little (measured: 150–600 ms when always on, 10,000 sets).
 * Ranking: exact words count most, then prefixes, then title similarity and image matches.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { ApiDatabase, ApiDb } from '../db.ts';
import { queryWords, type SearchBackend, type SearchRequest, type SearchResult } from './backend.ts';

/**
 * Word similarity from which a title counts as a typo match (pg_trgm's default is 0.6). One wrong letter in
 * a short word costs a lot of trigrams: "wether" vs "Weather" scores 0.5, so 0.6 would miss it.
 */
const TYPO_SIMILARITY = 0.5;

/**
 * How many matching sets each candidate source (title words, whole document, typos) hands to ranking.
 * Ranking reads each set's document; a common word matches thousands (measured: "plane" 2,000 of 10,000
 * sets, 30 ms to rank them all), so each source (title words, document with image titles) gives at most this
 * many: title matches, which rank highest, come in whole up to the cap, then any other matches. Results past the candidates are not offered: a query that common needs more words.
 */
const RANKED_CANDIDATES = 300;

type Row = { id: string; score: number };

export class PostgresSearch implements SearchBackend {
  readonly name = 'postgres';
  readonly #db: ApiDb;

  constructor(db: ApiDb) {
    this.#db = db;
  }

  async search(request: SearchRequest): Promise<SearchResult> {
    const words = queryWords(request.text);
    const prefixQuery = words.length > 0 ? words.map((word) => `${word}:*`).join(' & ') : null;
    let rows = (await this.#ranked(this.#db, request, prefixQuery, 'words')).rows;
    if (rows.length <= request.limit && request.offset === 0) {
      // SET LOCAL scopes the threshold to this transaction, so pooled connections keep their defaults.
      const typos = await this.#db.transaction().execute(async (trx) => {
        await sql`select set_config('pg_trgm.word_similarity_threshold', ${String(TYPO_SIMILARITY)}, true)`.execute(trx);
        return (await this.#ranked(trx, request, prefixQuery, 'typos')).rows;
      });
      // Same score formula in both steps, and step 1 returned all it found: merging ranks them as one query.
      rows = mergeRanked(rows, typos);
    }
    return {
      hits: rows.slice(0, request.limit).map((row) => ({ productId: row.id, score: Number(row.score) })),
      hasMore: rows.length > request.limit,
    };
  }

  #ranked(db: Kysely<ApiDatabase>, request: SearchRequest, prefixQuery: string | null, step: 'words' | 'typos') {
    // The queries are written out in each predicate, not read from a CTE: the planner can only use the GIN
    // indexes for a tsquery it sees (measured: 22 ms with a CTE, a seq scan; a bitmap index scan inline).
    const words = sql`websearch_to_tsquery('english', ${request.text})`;
    const prefixes = sql`coalesce(to_tsquery('english', ${prefixQuery}), ''::tsquery)`;
    const either = sql`(${words} || ${prefixes})`;
    const raw = sql`${request.text}::text`;
    const shown = sql`p.published and p.status = 'ready'
        and not exists (select 1 from product_blocks b where b.product_id = p.id)
        ${request.kind ? sql`and p.kind = ${request.kind}` : sql``}
        ${request.license ? sql`and p.license = ${request.license}` : sql``}`;
    const cap = sql.lit(RANKED_CANDIDATES);
    // Each source reads one GIN index and stops at the cap; a set found by several is ranked once. The
    // whole document is read only for what title matches left of the cap: a common word fills the cap
    // from titles alone, and a LIMITed scan of the whole document for it is the slow part (a seq scan).
    // `search_document || image_document` is the expression of migration 0007's index, word for word.
    const columns = sql`p.id, p.title, p.search_document, p.image_document`;
    const source = (match: RawBuilder<unknown>, limit: RawBuilder<unknown> = cap) =>
      sql`(select ${columns} from products p where ${match} and ${shown} limit ${limit})`;
    const candidates =
      step === 'words'
        ? sql`
          with titled as ${source(sql`to_tsvector('english'::regconfig, p.title) @@ ${either}`)}
          select * from titled
          union all ${source(sql`(p.search_document || p.image_document) @@ ${either}`, sql`greatest(0, ${cap} - (select count(*) from titled))`)}`
        : sql`
          ${source(sql`${raw} <% p.title`)}
          union all ${source(sql`p.id in (select i.product_id from images i where ${raw} <% i.title limit ${cap})`)}`;
    return sql<Row>`
      select c.id, max(s.score) as score
      from (${candidates}) c
      cross join lateral (select (
          2 * ts_rank(c.search_document, ${words})
          + ts_rank(c.search_document, ${prefixes})
          + 0.5 * word_similarity(${raw}, c.title)
          + 0.25 * (c.image_document @@ ${either})::int
        )::float8 as score) s
      group by c.id
      order by score desc, c.id
      limit ${request.limit + 1} offset ${request.offset}
    `.execute(db);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.#db);
  }
}

/** Best first, each set once with its best score, ties by id (as the query orders them). */
function mergeRanked(a: readonly Row[], b: readonly Row[]): Row[] {
  const best = new Map<string, Row>();
  for (const row of [...a, ...b]) {
    const known = best.get(row.id);
    if (!known || Number(row.score) > Number(known.score)) best.set(row.id, row);
  }
  return [...best.values()].sort((x, y) => Number(y.score) - Number(x.score) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

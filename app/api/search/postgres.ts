/**
 * Search on PostgreSQL alone, in two indexed steps:
 * 1. Words: full-text on the weighted product document and on image titles, each word exact (stemmed:
 *    "clouds" finds "cloud") or as a prefix ("wea" finds "weather"). GIN indexes answer both.
 * 2. Typos, only when step 1 fills less than the page: trigram word similarity on product and image
 *    titles ("wether" finds "Weather"). Trigram lookups recheck many rows for common trigrams, so they
 *    run only when words alone found too little (measured: 150–600 ms when always on, 10,000 sets).
 * Ranking: exact words count most, then prefixes, then title similarity and image matches.
 */
import { sql, type Kysely } from 'kysely';
import type { ApiDatabase, ApiDb } from '../db.ts';
import { queryWords, type SearchBackend, type SearchRequest, type SearchResult } from './backend.ts';

/**
 * Word similarity from which a title counts as a typo match (pg_trgm's default is 0.6). One wrong letter in
 * a short word costs a lot of trigrams: "wether" vs "Weather" scores 0.5, so 0.6 would miss it.
 */
const TYPO_SIMILARITY = 0.5;

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
    let rows = (await this.#ranked(this.#db, request, prefixQuery, false)).rows;
    if (rows.length <= request.limit && request.offset === 0) {
      // SET LOCAL scopes the threshold to this transaction, so pooled connections keep their defaults.
      rows = await this.#db.transaction().execute(async (trx) => {
        await sql`select set_config('pg_trgm.word_similarity_threshold', ${String(TYPO_SIMILARITY)}, true)`.execute(trx);
        return (await this.#ranked(trx, request, prefixQuery, true)).rows;
      });
    }
    return {
      hits: rows.slice(0, request.limit).map((row) => ({ productId: row.id, score: Number(row.score) })),
      hasMore: rows.length > request.limit,
    };
  }

  #ranked(db: Kysely<ApiDatabase>, request: SearchRequest, prefixQuery: string | null, typos: boolean) {
    // The queries are written out in each predicate, not read from a CTE: the planner can only use the GIN
    // indexes for a tsquery it sees (measured: 22 ms with a CTE, a seq scan; a bitmap index scan inline).
    const words = sql`websearch_to_tsquery('english', ${request.text})`;
    const prefixes = sql`coalesce(to_tsquery('english', ${prefixQuery}), ''::tsquery)`;
    const raw = sql`${request.text}::text`;
    const imageText = sql`to_tsvector('english'::regconfig, i.title)`;
    const typoCandidates = typos
      ? sql`
        union all
        select p.id, 0 from products p where ${raw} <% p.title
        union all
        select i.product_id, word_similarity(${raw}, i.title) from images i where ${raw} <% i.title`
      : sql``;
    return sql<Row>`
      with candidates as (
        select p.id, 0::real as image_score from products p
        where p.search_document @@ ${words} or p.search_document @@ ${prefixes}
        union all
        select i.product_id, 1 from images i where ${imageText} @@ ${words} or ${imageText} @@ ${prefixes}
        ${typoCandidates}
      ),
      matched as (select id, max(image_score) as image_score from candidates group by id)
      select p.id,
        (2 * ts_rank(p.search_document, ${words})
         + ts_rank(p.search_document, ${prefixes})
         + 0.5 * word_similarity(${raw}, p.title)
         + 0.25 * m.image_score
        )::float8 as score
      from matched m
      join products p on p.id = m.id
      where p.published and p.status = 'ready'
        and not exists (select 1 from product_blocks b where b.product_id = p.id)
        ${request.kind ? sql`and p.kind = ${request.kind}` : sql``}
        ${request.license ? sql`and p.license = ${request.license}` : sql``}
      order by score desc, p.id
      limit ${request.limit + 1} offset ${request.offset}
    `.execute(db);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.#db);
  }
}

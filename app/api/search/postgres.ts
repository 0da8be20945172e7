/**
 * Search on PostgreSQL alone. Candidates come from four indexed lookups (union):
 *  - full-text on the weighted product document (stemmed: "clouds" finds "cloud"),
 *  - the same document with every word as a prefix ("wea" finds "weather"),
 *  - trigram word similarity on product titles (typos: "wether" finds "Weather"),
 *  - trigram word similarity on image titles (a set is found by what it contains).
 * Ranking adds the full-text rank (exact words count most), the prefix rank and the similarities.
 */
import { sql, type Kysely } from 'kysely';
import type { ApiDatabase, ApiDb } from '../db.ts';
import { queryWords, type SearchBackend, type SearchRequest, type SearchResult } from './backend.ts';

/**
 * Word similarity from which a title counts as a typo match (pg_trgm's default is 0.6). One wrong letter in
 * a short word costs a lot of trigrams: "wether" vs "Weather" scores 0.5, so 0.6 would miss it.
 */
const TYPO_SIMILARITY = 0.5;

export class PostgresSearch implements SearchBackend {
  readonly name = 'postgres';
  readonly #db: ApiDb;

  constructor(db: ApiDb) {
    this.#db = db;
  }

  async search(request: SearchRequest): Promise<SearchResult> {
    const words = queryWords(request.text);
    const prefixQuery = words.length > 0 ? words.map((word) => `${word}:*`).join(' & ') : null;
    // SET LOCAL scopes the threshold to this transaction, so pooled connections keep their defaults.
    const rows = await this.#db.transaction().execute(async (trx) => {
      await sql`select set_config('pg_trgm.word_similarity_threshold', ${String(TYPO_SIMILARITY)}, true)`.execute(trx);
      return (await this.#ranked(trx, request, prefixQuery)).rows;
    });
    return {
      hits: rows.slice(0, request.limit).map((row) => ({ productId: row.id, score: Number(row.score) })),
      hasMore: rows.length > request.limit,
    };
  }

  #ranked(db: Kysely<ApiDatabase>, request: SearchRequest, prefixQuery: string | null) {
    return sql<{ id: string; score: number }>`
      with input as (
        select websearch_to_tsquery('english', ${request.text}) as words,
               to_tsquery('english', ${prefixQuery}) as prefixes,
               ${request.text}::text as raw
      ),
      candidates as (
        select p.id from products p, input where p.search_document @@ input.words
        union
        select p.id from products p, input where p.search_document @@ input.prefixes
        union
        select p.id from products p, input where input.raw <% p.title
        union
        select i.product_id from images i, input where input.raw <% i.title
      )
      select p.id,
        (2 * ts_rank(p.search_document, input.words)
         + ts_rank(p.search_document, coalesce(input.prefixes, ''::tsquery))
         + 0.5 * word_similarity(input.raw, p.title)
         + 0.25 * coalesce((select max(word_similarity(input.raw, i.title)) from images i where i.product_id = p.id), 0)
        )::float8 as score
      from candidates c
      join products p on p.id = c.id
      cross join input
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

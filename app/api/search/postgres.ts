/**
 * Search on PostgreSQL alone, in one statement (one round trip, one prepared plan):
 * 1. Typos: each query word the catalog has neither whole nor as a prefix is corrected to the
 *    closest catalog word (migration 0009's word list, trigram index: "wether" becomes "weather"), and
 *    the corrected words are searched. Comparing the typed text with every title instead cost 29–60 ms
 *    for "wether" on 10,000 sets (a trigram scan of titles); the word list has a few thousand rows.
 * 2. Words: full-text on the product's weighted document with its image titles (migration 0007), each word
 *    exact (stemmed: "clouds" finds "cloud") or as a prefix ("wea" finds "weather"). GIN indexes answer
 *    both; only a capped set of candidates is ranked (RANKED_CANDIDATES).
 * Ranking: exact words count most, then prefixes, then how much of the query the title holds as typed, then
 * image matches. Measured on 10,000 sets over the API benchmark's 200 queries: 6.6 ms of PostgreSQL CPU per
 * search with a correction round trip, a custom plan per request and trigram title similarity; 2.5 ms now.
 */
import { sql, type RawBuilder } from 'kysely';
import type { ApiDb } from '../db.ts';
import { queryWords, type SearchBackend, type SearchRequest, type SearchResult } from './backend.ts';

/**
 * Trigram similarity from which a catalog word counts as the correction of a typed one. One wrong letter in
 * a short word costs a lot of trigrams: "wether"/"weather" scores 0.5, "guitr"/"guitar" 0.44. A literal in
 * the statement, not a session setting: `%` selects candidates from the index at pg_trgm's
 * similarity_threshold (default 0.3, below this), and pooled connections need no per-request setup.
 */
const TYPO_SIMILARITY = 0.4;

/**
 * How many matching sets are ranked. Ranking reads each set's documents; a common word matches thousands
 * (measured: "plane" 2,000 of 10,000 sets, 30 ms to rank them all), so title matches, which rank highest,
 * come in up to this many, then any other matches up to the same total. Results past the candidates are not
 * offered: a query that common needs more words.
 */
const RANKED_CANDIDATES = 300;

type Row = { id: string; score: number };

/** Up to this many words, the statement spells the word array out so the planner knows its length (below). */
const PLANNED_WORDS = 4;

/**
 * The typed words as a SQL array. Spelled out (`array[$1, $2]`) the planner counts its elements and prices
 * the correction step for that many words; an array parameter it prices as 10 words, which made the generic
 * plan look 50% dearer than a custom one, so PostgreSQL planned every request anew (1–3 ms each). One
 * statement per word count up to PLANNED_WORDS keeps the prepared statements few; longer queries are rare.
 */
function typedWords(words: readonly string[]): RawBuilder<unknown> {
  if (words.length === 0 || words.length > PLANNED_WORDS) return sql`${words}::text[]`;
  return sql`array[${sql.join(words)}]::text[]`;
}

export class PostgresSearch implements SearchBackend {
  readonly name = 'postgres';
  readonly #db: ApiDb;

  constructor(db: ApiDb) {
    this.#db = db;
  }

  async search(request: SearchRequest): Promise<SearchResult> {
    const { rows } = await this.#ranked(request, queryWords(request.text));
    return {
      hits: rows.slice(0, request.limit).map((row) => ({ productId: row.id, score: Number(row.score) })),
      hasMore: rows.length > request.limit,
    };
  }

  #ranked(request: SearchRequest, words: readonly string[]) {
    // Each typed word as typed when a catalog word is or starts with it, else its closest catalog word, else
    // as typed. A word no set has cannot match as typed, so only its correction is searched.
    const corrected = sql`
      select t.ord, t.word as typed, coalesce(
        (select t.word where exists (select 1 from search_words w where w.word like t.word || '%')),
        (select w.word from search_words w
         where w.word % t.word and similarity(w.word, t.word) >= ${sql.lit(TYPO_SIMILARITY)}
         order by w.word <-> t.word, w.word limit 1),
        t.word) as word
      from unnest(${typedWords(words)}) with ordinality as t(word, ord)`;
    // The text searched: as typed (websearch syntax: quotes, "or", "-word") when every word is known, else the
    // corrected words. Prefix terms are letters and digits only, so they are safe in to_tsquery syntax: the
    // typed words' as split here, a correction's split in SQL (catalog words may hold more: "hand-drawn").
    // Scalar functions, not a set-returning split: the planner guesses 1,000 rows for one, which priced the
    // generic plan above a custom one.
    const typedPrefixes = words.length > 0 ? words.map((word) => `${word}:*`).join(' & ') : null;
    const correctedPrefixes = sql`nullif(replace(trim(regexp_replace(c.corrected, '[^[:alnum:]]+', ' ', 'g')), ' ', ':* & '), '') || ':*'`;
    const query = sql`
      select words, prefixes, words || prefixes as either, any_prefix from (
        select websearch_to_tsquery('english', s.text) as words,
          coalesce(to_tsquery('english', s.prefix_text), ''::tsquery) as prefixes,
          coalesce(to_tsquery('simple', replace(s.prefix_text, ' & ', ' | ')), ''::tsquery) as any_prefix
        from (
          select case when c.known then ${request.text}::text else c.corrected end as text,
            case when c.known then ${typedPrefixes}::text else ${correctedPrefixes} end as prefix_text
          from (select coalesce(bool_and(word = typed), true) as known, string_agg(word, ' ' order by ord) as corrected
                from corrected) c
        ) s
        offset 0
      ) q`;
    // any_prefix: each word as typed (simple configuration, not stemmed), any of them, for title coverage.
    // Index conditions read the query through a scalar subquery: an InitPlan, computed once, that the GIN
    // indexes take as a key (a join with the CTE instead was a seq scan, 22 ms).
    const either = sql`(select either from query)`;
    const shown = sql`p.published and p.status = 'ready'
        and not exists (select 1 from product_blocks b where b.product_id = p.id)
        ${request.kind ? sql`and p.kind = ${request.kind}` : sql``}
        ${request.license ? sql`and p.license = ${request.license}` : sql``}`;
    const cap = sql.lit(RANKED_CANDIDATES);
    // Each source reads one GIN index and stops at the cap. The whole document is read only for what title
    // matches left of the cap: a common word fills the cap from titles alone.
    // `search_document || image_document` is the expression of migration 0007's index, word for word.
    const columns = sql`p.id, p.title_words, p.search_document, p.image_document`;
    const source = (match: RawBuilder<unknown>, limit: RawBuilder<unknown> = cap) =>
      sql`(select ${columns} from products p where ${match} and ${shown} limit ${limit})`;
    return sql<Row>`
      with corrected as materialized (${corrected}),
      query as materialized (${query}),
      titled as ${source(sql`to_tsvector('english'::regconfig, p.title) @@ ${either}`)},
      candidates as (
        select * from titled
        union all ${source(
          sql`(p.search_document || p.image_document) @@ ${either} and p.id not in (select id from titled)`,
          sql`greatest(0, ${cap} - (select count(*) from titled))`,
        )}
      )
      -- Title coverage: ts_rank of an OR query averages its words' scores, one title occurrence scoring
      -- 1/1.6449 (pi^2/6, ts_rank's normaliser), so this is the share of query words the title starts a word
      -- with, as word_similarity(query, title) measured before at a seventh of the cost (0.3 vs 2.1 ms per
      -- 300 candidates): title_words is stored (migration 0011), trigrams were rebuilt for every title.
      select c.id, (
          2 * ts_rank(c.search_document, q.words)
          + ts_rank(c.search_document, q.prefixes)
          + 0.5 * 1.6449 * ts_rank('{1,1,1,1}', c.title_words, q.any_prefix)
          + 0.25 * (c.image_document @@ q.either)::int
        )::float8 as score
      from candidates c cross join query q
      order by score desc, c.id
      limit ${request.limit + 1} offset ${request.offset}
    `.execute(this.#db);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.#db);
  }
}

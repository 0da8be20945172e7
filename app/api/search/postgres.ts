/**
 * Search on PostgreSQL alone, in two indexed steps:
 * 1. Typos: each query word the catalog has neither whole nor as a prefix is corrected to the
 *    closest catalog word (migration 0009's word list, trigram index: "wether" becomes "weather"), and
 *    step 2 searches the corrected words. Comparing the typed text with every title instead cost 29–60 ms
 *    for "wether" on 10,000 sets (a trigram scan of titles); the word list has a few thousand rows.
 * 2. Words: full-text on the product's weighted document with its image titles (migration 0007), each word
 *    exact (stemmed: "clouds" finds "cloud") or as a prefix ("wea" finds "weather"). GIN indexes answer
 *    both; only a capped set of candidates is ranked (RANKED_CANDIDATES).
 * Ranking: exact words count most, then prefixes, then title similarity and image matches.
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
    // A word the catalog has neither whole nor as a prefix cannot match as typed: search its correction
    // instead. Searching the typed words first cost more than the correction: a word no set has makes
    // the LIMITed document scan read every set (measured: 33 ms for "wether" on 10,000 sets, a seq scan).
    const corrected = words.length > 0 ? await this.#corrected(words) : words;
    const text = corrected.some((word, i) => word !== words[i]) ? corrected.join(' ') : request.text;
    // Catalog words may hold more than letters and digits ("hand-drawn"): split as typed words are.
    const prefixWords = text === request.text ? words : queryWords(text);
    const prefixQuery = prefixWords.length > 0 ? prefixWords.map((word) => `${word}:*`).join(' & ') : null;
    const { rows } = await this.#ranked({ ...request, text }, prefixQuery);
    return {
      hits: rows.slice(0, request.limit).map((row) => ({ productId: row.id, score: Number(row.score) })),
      hasMore: rows.length > request.limit,
    };
  }

  /** Each word as typed when a catalog word is or starts with it, else its closest catalog word, else as typed. */
  async #corrected(words: readonly string[]): Promise<string[]> {
    const { rows } = await sql<{ word: string }>`
      select coalesce(
        (select q.word where exists (select 1 from search_words w where w.word like q.word || '%')),
        (select w.word from search_words w
         where w.word % q.word and similarity(w.word, q.word) >= ${sql.lit(TYPO_SIMILARITY)}
         order by w.word <-> q.word, w.word limit 1),
        q.word) as word
      from unnest(${words}::text[]) with ordinality as q(word, ord)
      order by q.ord
    `.execute(this.#db);
    return rows.map((row) => row.word);
  }

  #ranked(request: SearchRequest, prefixQuery: string | null) {
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
    const candidates = sql`
      with titled as ${source(sql`to_tsvector('english'::regconfig, p.title) @@ ${either}`)}
      select * from titled
      union all ${source(sql`(p.search_document || p.image_document) @@ ${either}`, sql`greatest(0, ${cap} - (select count(*) from titled))`)}`;
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
    `.execute(this.#db);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.#db);
  }
}

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
import type { ApiDb } from '../tables.ts';
import { imageHitsItems } from './image-results.ts';
import {
  queryWords,
  type ImageSearchFilters,
  type ImageSearchJson,
  type ImageSearchRequest,
  type ImageSearchResult,
  type SearchBackend,
  type SearchRequest,
  type SearchResult,
} from './backend.ts';

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

/**
 * How many matching images are ranked: as RANKED_CANDIDATES for sets, a common word matches thousands of the
 * 241,000 images of the benchmark catalog ("sun" about 1,500, "weather" as a set word 12,000). Images whose
 * own title or tags match come first, then images of matching sets; pages stop at the cap.
 */
const RANKED_IMAGE_CANDIDATES = 480;

/** Catalog words looked at per typed word for suggestions, before checking that a visible image has them. */
const SUGGESTION_CANDIDATES = 8;

/**
 * A set anyone may see, filtered as asked. Literals for the visibility test, as in summary-json.ts: the
 * partial indexes of migration 0005 only serve a plan that sees them.
 */
function shownSets(filters: ImageSearchFilters): RawBuilder<unknown> {
  return sql`p.published and p.status = 'ready'
    and not exists (select 1 from product_blocks b where b.product_id = p.id)
    ${filters.kind ? sql`and p.kind = ${filters.kind}` : sql``}
    ${filters.license ? sql`and p.license = ${filters.license}` : sql``}
    ${filters.price === 'free' ? sql`and p.price_cents = 0` : filters.price === 'paid' ? sql`and p.price_cents > 0` : sql``}
    ${filters.familyId ? sql`and p.family_id = ${filters.familyId}::uuid` : sql``}
    ${filters.contributorSlug ? sql`and p.contributor_id = (select id from contributors where slug = ${filters.contributorSlug})` : sql``}`;
}

/**
 * The filters on `image_search` rows (`s`, migration 0049), which hold only images anyone may see and carry
 * their set's filter columns: no join with the sets, no block test per candidate.
 */
function imageFilters(filters: ImageSearchFilters): RawBuilder<unknown> {
  return sql`true
    ${filters.kind ? sql`and s.kind = ${filters.kind}` : sql``}
    ${filters.license ? sql`and s.license = ${filters.license}` : sql``}
    ${filters.price === 'free' ? sql`and s.price_cents = 0` : filters.price === 'paid' ? sql`and s.price_cents > 0` : sql``}
    ${filters.familyId ? sql`and s.family_id = ${filters.familyId}::uuid` : sql``}
    ${filters.contributorSlug ? sql`and s.contributor_id = (select id from contributors where slug = ${filters.contributorSlug})` : sql``}`;
}

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

/**
 * The typo-correction and query steps shared by set and image search, as the CTEs `corrected` and `query`.
 * `exact`: every word as typed, no correction (the "search instead for" link).
 */
function correctedQuery(text: string, words: readonly string[], exact: boolean) {
  // Each typed word as typed when a catalog word is or starts with it, else its closest catalog word, else
  // as typed. A word no set has cannot match as typed, so only its correction is searched.
  const correction = exact
    ? sql`t.word`
    : sql`coalesce(
        (select t.word where exists (select 1 from search_words w where w.word like t.word || '%')),
        (select w.word from search_words w
         where w.word % t.word and similarity(w.word, t.word) >= ${sql.lit(TYPO_SIMILARITY)}
         order by w.word <-> t.word, w.word limit 1),
        t.word)`;
  const corrected = sql`
    select t.ord, t.word as typed, ${correction} as word
    from unnest(${typedWords(words)}) with ordinality as t(word, ord)`;
  // The text searched: as typed (websearch syntax: quotes, "or", "-word") when every word is known, else the
  // corrected words. Prefix terms are letters and digits only, so they are safe in to_tsquery syntax: the
  // typed words' as split here, a correction's split in SQL (catalog words may hold more: "hand-drawn").
  // Scalar functions, not a set-returning split: the planner guesses 1,000 rows for one, which priced the
  // generic plan above a custom one.
  const typedPrefixes = words.length > 0 ? words.map((word) => `${word}:*`).join(' & ') : null;
  const correctedPrefixes = sql`nullif(replace(trim(regexp_replace(c.corrected, '[^[:alnum:]]+', ' ', 'g')), ' ', ':* & '), '') || ':*'`;
  const query = sql`
    select words, prefixes, words || prefixes as either, any_prefix, known, corrected from (
      select websearch_to_tsquery('english', s.text) as words,
        coalesce(to_tsquery('english', s.prefix_text), ''::tsquery) as prefixes,
        coalesce(to_tsquery('simple', replace(s.prefix_text, ' & ', ' | ')), ''::tsquery) as any_prefix,
        s.known, s.corrected
      from (
        select case when c.known then ${text}::text else c.corrected end as text,
          case when c.known then ${typedPrefixes}::text else ${correctedPrefixes} end as prefix_text,
          c.known, c.corrected
        from (select coalesce(bool_and(word = typed), true) as known, string_agg(word, ' ' order by ord) as corrected
              from corrected) c
      ) s
      offset 0
    ) q`;
  return { corrected, query };
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
    const { corrected, query } = correctedQuery(request.text, words, false);
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

  /**
   * Icons and illustrations, in one statement like set search. Candidates: images whose own title or tags
   * match (migration 0027's document and index), then images of sets whose title, tags or description match
   * ("weather" finds the sun of a weather set). Ranking: an image's own match first, exact words above
   * prefixes, a title match above a tag match and shorter titles first ("Umbrella" above "Umbrella stand":
   * the title's word count from its spaces, cheaper than a tsvector per candidate); images of
   * a matching set after, by the set's match, first images of each set first. The one row without an id,
   * when nothing matched, still reports the correction step.
   */
  async searchImages(request: ImageSearchRequest): Promise<ImageSearchResult> {
    const { rows } = await sql<{ id: string | null; score: number | null; known: boolean; corrected: string | null }>`
      ${this.#rankedImages(request)}
      select r.id, r.score, q.known, q.corrected
      from query q left join ranked r on true
      order by r.score desc, r.position, r.id
    `.execute(this.#db);
    const hits = rows.filter((row) => row.id !== null).map((row) => ({ imageId: row.id!, score: Number(row.score) }));
    const first = rows[0];
    const correctedText = hits.length > 0 && first && !first.known && first.corrected ? first.corrected : null;
    return { hits: hits.slice(0, request.limit), hasMore: hits.length > request.limit, correctedText };
  }

  /**
   * searchImages and the page's JSON (image-results.ts) in one statement: one round trip per search instead
   * of two. `found` is the number of hits on the page (what the items show, unless one became invisible
   * between the ranking and the loading, which one statement's snapshot rules out).
   */
  async searchImagesJson(request: ImageSearchRequest, assetsBase: string): Promise<ImageSearchJson> {
    const page = sql`(select id, score, row_number() over (order by score desc, position, id) as ord
                      from ranked order by score desc, position, id limit ${request.limit})`;
    const { rows } = await sql<{ known: boolean; corrected: string | null; ranked: number; items: string }>`
      ${this.#rankedImages(request)}
      select q.known, q.corrected, (select count(*) from ranked)::int as ranked, (${imageHitsItems(assetsBase, page)}) as items
      from query q
    `.execute(this.#db);
    const row = rows[0]!;
    const found = Math.min(row.ranked, request.limit);
    return {
      itemsJson: row.items,
      found,
      hasMore: row.ranked > request.limit,
      correctedText: found > 0 && !row.known && row.corrected ? row.corrected : null,
    };
  }

  /** The CTEs `corrected`, `query` and `ranked` (the page and one more, best first) of an icon search. */
  #rankedImages(request: ImageSearchRequest): RawBuilder<unknown> {
    const words = queryWords(request.text);
    const { corrected, query } = correctedQuery(request.text, words, request.exact);
    const either = sql`(select either from query)`;
    const filtered = imageFilters(request);
    const cap = sql.lit(RANKED_IMAGE_CANDIDATES);
    return sql`
      with corrected as materialized (${corrected}),
      query as materialized (${query}),
      own as (
        select s.image_id as id, s.position, s.title, s.document as search_document, null::tsvector as set_document
        from image_search s
        where s.document @@ ${either} and ${filtered}
        limit ${cap}),
      candidates as (
        select * from own
        union all (
          select s.image_id, s.position, s.title, s.document, p.search_document as set_document
          from products p join image_search s on s.product_id = p.id
          where p.search_document @@ ${either} and ${filtered}
            and s.image_id not in (select id from own)
          limit greatest(0, ${cap} - (select count(*) from own)))
      ),
      ranked as (
        select c.id, c.position, (case when c.set_document is null
            then 1 + 2 * ts_rank(c.search_document, q.words) + ts_rank(c.search_document, q.prefixes)
              + case when ts_rank('{0,0,0,1}', c.search_document, q.either) > 0
                     then 1.0 / (2 + length(c.title) - length(replace(c.title, ' ', ''))) else 0 end
            else 0.5 * ts_rank(c.set_document, q.words) + 0.25 * ts_rank(c.set_document, q.prefixes) end)::float8 as score
        from candidates c cross join query q
        order by score desc, c.position, c.id
        limit ${request.limit + 1} offset ${request.offset}
      )`;
  }

  async suggest(text: string, limit: number): Promise<string[]> {
    const words = queryWords(text);
    if (words.length === 0) return [];
    // Close words by trigrams (pg_trgm's `%` at its default threshold, 0.3: looser than a correction), kept
    // only when a visible image or set has them: the word list also holds words of unpublished drafts.
    const { rows } = await sql<{ word: string }>`
      select s.word from (
        select w.word, max(similarity(w.word, t.word)) as similarity
        from unnest(${words}::text[]) as t(word)
        cross join lateral (
          select w.word from search_words w where w.word % t.word
          order by w.word <-> t.word, w.word limit ${sql.lit(SUGGESTION_CANDIDATES)}) w
        where w.word <> all(${words}::text[])
        group by w.word
      ) s
      where exists (select 1 from image_search i where i.document @@ plainto_tsquery('english', s.word))
        or exists (select 1 from products p where p.search_document @@ plainto_tsquery('english', s.word) and ${shownSets({})})
      order by s.similarity desc, s.word
      limit ${limit}
    `.execute(this.#db);
    return rows.map((row) => row.word);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.#db);
  }
}

/**
 * Search on Elasticsearch (prod), over the index Logstash fills from the `search_products` view with the
 * mapping in app/search/products-template.json. Plain HTTP to `_search`: one request, no client library
 * to keep in step with the cluster version.
 */
import { z } from 'zod';
import type { ImageSearchRequest, ImageSearchResult, SearchBackend, SearchRequest, SearchResult } from './backend.ts';

/**
 * Both kinds of document share the index (one template, one pipeline, ids are UUIDs of different tables):
 * `doc_type` tells them apart. Sets indexed before image documents existed carry no doc_type, so set search
 * excludes images rather than requiring "set".
 */
export const DOC_TYPES = { set: 'set', image: 'image' } as const;

export interface ElasticsearchOptions {
  /** e.g. https://my-deployment.es.us-east-1.aws.elastic.cloud */
  url: string;
  index: string;
  /** Elastic Cloud API key (base64 id:key), sent as `Authorization: ApiKey …`. */
  apiKey?: string;
  /** Per request; a slow cluster must not hold API requests for long. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** The `_search` body for a request: exact (stemmed) words rank first, then prefixes, then typo matches. */
export function buildSearchBody(request: SearchRequest): Record<string, unknown> {
  const filter: unknown[] = [{ term: { searchable: true } }];
  if (request.kind) filter.push({ term: { kind: request.kind } });
  if (request.license) filter.push({ term: { license: request.license } });
  return {
    from: request.offset,
    size: request.limit + 1,
    _source: false,
    track_total_hits: false,
    query: {
      bool: {
        filter,
        must_not: [{ term: { doc_type: DOC_TYPES.image } }],
        should: [
          {
            multi_match: {
              query: request.text,
              fields: ['title^4', 'tags^2', 'description', 'image_titles', 'family_title'],
              type: 'best_fields',
              operator: 'and',
              boost: 3,
            },
          },
          {
            multi_match: {
              query: request.text,
              type: 'bool_prefix',
              fields: ['title.prefix', 'title.prefix._2gram', 'title.prefix._3gram', 'tags.prefix'],
            },
          },
          {
            multi_match: {
              query: request.text,
              fields: ['title^2', 'tags', 'image_titles'],
              fuzziness: 'AUTO',
              prefix_length: 1,
            },
          },
        ],
        minimum_should_match: 1,
      },
    },
    // The id breaks ties, so pages do not shuffle between requests.
    sort: ['_score', { id: 'asc' }],
  };
}

/** Term suggestions for the typed words from image and set titles, for corrections and suggestions. */
function titleSuggester(text: string, mode: 'missing' | 'always') {
  return { text, words: { term: { field: 'title', suggest_mode: mode, min_word_length: 3, size: 3 } } };
}

/**
 * The `_search` body for icon-level search: image documents only, the image's own title and tags first, then
 * its set's title and tags; prefixes; typo matches unless `exact`. A term suggester on titles names the
 * correction ("showing results for").
 */
export function buildImageSearchBody(request: ImageSearchRequest): Record<string, unknown> {
  const filter: unknown[] = [{ term: { searchable: true } }, { term: { doc_type: DOC_TYPES.image } }];
  if (request.kind) filter.push({ term: { kind: request.kind } });
  if (request.license) filter.push({ term: { license: request.license } });
  if (request.price === 'free') filter.push({ term: { price_cents: 0 } });
  if (request.price === 'paid') filter.push({ range: { price_cents: { gt: 0 } } });
  if (request.familyId) filter.push({ term: { family_id: request.familyId } });
  if (request.contributorSlug) filter.push({ term: { contributor_slug: request.contributorSlug } });
  const should: unknown[] = [
    { multi_match: { query: request.text, fields: ['title^4', 'tags^2'], type: 'best_fields', operator: 'and', boost: 3 } },
    { multi_match: { query: request.text, type: 'bool_prefix', fields: ['title.prefix', 'title.prefix._2gram', 'title.prefix._3gram', 'tags.prefix'] } },
    { multi_match: { query: request.text, fields: ['product_title', 'product_tags'], operator: 'and', boost: 0.5 } },
  ];
  if (!request.exact) {
    should.push({ multi_match: { query: request.text, fields: ['title^2', 'tags'], fuzziness: 'AUTO', prefix_length: 1 } });
  }
  return {
    from: request.offset,
    size: request.limit + 1,
    _source: false,
    track_total_hits: false,
    query: { bool: { filter, should, minimum_should_match: 1 } },
    sort: ['_score', { position: 'asc' }, { id: 'asc' }],
    ...(request.exact ? {} : { suggest: titleSuggester(request.text, 'missing') }),
  };
}

const suggestResponse = z
  .object({
    words: z.array(
      z.object({ text: z.string(), offset: z.number(), length: z.number(), options: z.array(z.object({ text: z.string() })) }),
    ),
  })
  .optional();

const searchResponse = z.object({
  hits: z.object({ hits: z.array(z.object({ _id: z.string(), _score: z.number().nullable() })) }),
  suggest: suggestResponse,
});

/** The typed text with each word the suggester corrected replaced by its best option; null when none was. */
export function correctedTextOf(text: string, suggest: z.infer<typeof suggestResponse>): string | null {
  const corrections = (suggest?.words ?? []).filter((word) => word.options.length > 0);
  if (corrections.length === 0) return null;
  let result = '';
  let at = 0;
  for (const word of [...corrections].sort((a, b) => a.offset - b.offset)) {
    result += text.slice(at, word.offset) + word.options[0]!.text;
    at = word.offset + word.length;
  }
  return result + text.slice(at);
}

export class ElasticsearchSearch implements SearchBackend {
  readonly name = 'elasticsearch';
  readonly #options: Required<Omit<ElasticsearchOptions, 'apiKey'>> & { apiKey?: string };

  constructor(options: ElasticsearchOptions) {
    this.#options = { timeoutMs: 2_000, fetch: globalThis.fetch, ...options, url: options.url.replace(/\/+$/, '') };
  }

  async search(request: SearchRequest): Promise<SearchResult> {
    const body = await this.#request(`/${encodeURIComponent(this.#options.index)}/_search`, buildSearchBody(request));
    const parsed = searchResponse.parse(body);
    const hits = parsed.hits.hits.map((hit) => ({ productId: hit._id, score: hit._score ?? 0 }));
    return { hits: hits.slice(0, request.limit), hasMore: hits.length > request.limit };
  }

  async searchImages(request: ImageSearchRequest): Promise<ImageSearchResult> {
    const body = await this.#request(`/${encodeURIComponent(this.#options.index)}/_search`, buildImageSearchBody(request));
    const parsed = searchResponse.parse(body);
    const hits = parsed.hits.hits.map((hit) => ({ imageId: hit._id, score: hit._score ?? 0 }));
    return {
      hits: hits.slice(0, request.limit),
      hasMore: hits.length > request.limit,
      correctedText: hits.length > 0 ? correctedTextOf(request.text, parsed.suggest) : null,
    };
  }

  async suggest(text: string, limit: number): Promise<string[]> {
    // Suggestions only: no hits wanted. The index holds searchable documents only, so every word is visible.
    const body = await this.#request(`/${encodeURIComponent(this.#options.index)}/_search`, {
      size: 0,
      suggest: titleSuggester(text, 'always'),
    });
    const typed = new Set(text.toLowerCase().split(/\s+/));
    const words = (searchResponse.parse(body).suggest?.words ?? []).flatMap((word) => word.options.map((option) => option.text));
    return [...new Set(words)].filter((word) => !typed.has(word)).slice(0, limit);
  }

  async ping(): Promise<void> {
    await this.#request(`/${encodeURIComponent(this.#options.index)}/_count`, { query: { match_all: {} } });
  }

  async #request(path: string, body: unknown): Promise<unknown> {
    const response = await this.#options.fetch(`${this.#options.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.#options.apiKey ? { authorization: `ApiKey ${this.#options.apiKey}` } : {}),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.#options.timeoutMs),
    });
    if (!response.ok) {
      throw new Error(`Elasticsearch ${path} answered ${response.status}: ${(await response.text()).slice(0, 500)}`);
    }
    return response.json();
  }
}

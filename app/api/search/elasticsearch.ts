/**
 * Search on Elasticsearch (prod), over the index Logstash fills from the `search_products` view with the
 * mapping in app/search/products-template.json. Plain HTTP to `_search`: one request, no client library
 * to keep in step with the cluster version.
 */
import { z } from 'zod';
import type { SearchBackend, SearchRequest, SearchResult } from './backend.ts';

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

const searchResponse = z.object({
  hits: z.object({ hits: z.array(z.object({ _id: z.string(), _score: z.number().nullable() })) }),
});

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

import type { License, ProductKind } from '../../../core/catalog/index.ts';

export interface SearchRequest {
  text: string;
  kind?: ProductKind;
  license?: License;
  limit: number;
  /** Ranked results page by offset (bounded by MAX_SEARCH_OFFSET). */
  offset: number;
}

export interface SearchHit {
  productId: string;
  score: number;
}

export interface SearchResult {
  /** Best first. */
  hits: SearchHit[];
  hasMore: boolean;
}

/**
 * Where text search runs: PostgreSQL full-text + pg_trgm locally and in small stacks, Elasticsearch in
 * prod. Backends return ranked ids only; the API loads what it shows from PostgreSQL and drops anything
 * no longer visible, so an index that lags behind never shows an unpublished set.
 */
export interface SearchBackend {
  readonly name: string;
  search(request: SearchRequest): Promise<SearchResult>;
  /** Throws when the backend cannot serve (readiness). */
  ping(): Promise<void>;
}

/** The words of a query for prefix matching: letters and digits only, so they are safe in to_tsquery syntax. */
export function queryWords(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

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

/** Free sets cost nothing; paid ones have a price (independent of the licence). */
export const PRICE_FILTERS = ['free', 'paid'] as const;
export type PriceFilter = (typeof PRICE_FILTERS)[number];

/** Filters of icon-level search: every one is a property of the image's set. */
export interface ImageSearchFilters {
  kind?: ProductKind;
  license?: License;
  price?: PriceFilter;
  familyId?: string;
  contributorSlug?: string;
}

export interface ImageSearchRequest extends ImageSearchFilters {
  text: string;
  /** Search the words as typed: no typo correction ("search instead for …"). */
  exact: boolean;
  limit: number;
  offset: number;
}

export interface ImageSearchHit {
  imageId: string;
  score: number;
}

export interface ImageSearchResult {
  /** Best first. */
  hits: ImageSearchHit[];
  hasMore: boolean;
  /**
   * The words searched when a typo was corrected ("wether" → "weather"), else null. Only reported with hits:
   * a correction that finds nothing is not worth showing, and would name a word no visible set may hold.
   */
  correctedText: string | null;
}

/** A page of icon results as the JSON array the API sends, with what the route needs besides. */
export interface ImageSearchJson {
  itemsJson: string;
  /** Items on the page. */
  found: number;
  hasMore: boolean;
  correctedText: string | null;
}

/**
 * Where text search runs: PostgreSQL full-text + pg_trgm locally and in small stacks, Elasticsearch in
 * prod. Backends return ranked ids only; the API loads what it shows from PostgreSQL and drops anything
 * no longer visible, so an index that lags behind never shows an unpublished set.
 */
export interface SearchBackend {
  readonly name: string;
  /** Sets. */
  search(request: SearchRequest): Promise<SearchResult>;
  /** Icons and illustrations, each on its own. */
  searchImages(request: ImageSearchRequest): Promise<ImageSearchResult>;
  /**
   * searchImages with the page loaded as JSON in the same round trip, for a backend that runs in the catalog
   * database itself (PostgreSQL); the API loads other backends' hits with imageHitsJson.
   */
  searchImagesJson?(request: ImageSearchRequest, assetsBase: string): Promise<ImageSearchJson>;
  /**
   * Words to try instead when a search found nothing: catalog words close to the typed ones that a visible
   * image or set holds, best first.
   */
  suggest(text: string, limit: number): Promise<string[]>;
  /** Throws when the backend cannot serve (readiness). */
  ping(): Promise<void>;
}

/** The words of a query for prefix matching: letters and digits only, so they are safe in to_tsquery syntax. */
export function queryWords(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

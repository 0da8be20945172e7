import type { Metadata } from 'next';
import Link from 'next/link';
import { ImageHitGrid } from '../../components/ImageHitCard.tsx';
import { ProductGrid } from '../../components/ProductCard.tsx';
import { responses, type SearchPage } from '../../lib/api-types.ts';
import { apiGet, query } from '../../lib/server-api.ts';

type Params = Promise<Record<string, string | string[] | undefined>>;

const MAX_QUERY_LENGTH = 200;
const PAGE_SIZE = 48;
const TYPES = { images: 'Icons & illustrations', sets: 'Sets' } as const;
const KINDS = { '': 'All kinds', 'icon-set': 'Icons', 'illustration-set': 'Illustrations' } as const;
const LICENSES = { '': 'Any licence', free: 'Free licence', standard: 'Standard licence', extended: 'Extended licence' } as const;
const PRICES = { '': 'Free or paid', free: 'Free', paid: 'Paid' } as const;

function one(value: string | string[] | undefined): string | undefined {
  return (Array.isArray(value) ? value[0] : value)?.trim() || undefined;
}

/** A known option or nothing: the URL is typed by people and links, the API refuses anything else. */
function option<T extends Record<string, string>>(options: T, value: string | undefined): keyof T | undefined {
  return value && value in options ? (value as keyof T) : undefined;
}

interface SearchState {
  q: string;
  type: keyof typeof TYPES;
  kind?: string;
  license?: string;
  price?: string;
  family?: string;
  contributor?: string;
  exact?: '1';
  limit?: number;
}

function stateFrom(params: Record<string, string | string[] | undefined>): SearchState {
  const type = option(TYPES, one(params.type)) ?? 'images';
  const limit = Number(one(params.limit));
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const family = one(params.family);
  const contributor = one(params.contributor);
  return {
    q: one(params.q)?.slice(0, MAX_QUERY_LENGTH) ?? '',
    type,
    kind: option(KINDS, one(params.kind)) as string | undefined,
    license: option(LICENSES, one(params.license)) as string | undefined,
    // Icon-only filters: the API refuses them for sets.
    ...(type === 'images'
      ? {
          price: option(PRICES, one(params.price)) as string | undefined,
          family: family && uuid.test(family) ? family : undefined,
          contributor: contributor && /^[a-z0-9]+(-[a-z0-9]+)*$/.test(contributor) ? contributor : undefined,
        }
      : {}),
    exact: one(params.exact) === '1' ? '1' : undefined,
    limit: Number.isInteger(limit) && limit >= 1 && limit <= 100 ? limit : undefined,
  };
}

/** This page's URL for a state (empty values left out). */
function searchHref(state: SearchState, extra: Record<string, string | undefined> = {}): string {
  return `/search${query({ ...state, type: state.type === 'images' ? undefined : state.type, limit: state.limit?.toString(), ...extra })}`;
}

export async function generateMetadata({ searchParams }: { searchParams: Params }): Promise<Metadata> {
  const { q } = stateFrom(await searchParams);
  return { title: q ? `“${q}”` : 'Search' };
}

/** Server-rendered: a GET form and plain links, so searching, filtering and paging work without JavaScript. */
export default async function SearchPageView({ searchParams }: { searchParams: Params }) {
  const params = await searchParams;
  const state = stateFrom(params);
  const cursor = one(params.cursor);
  const page: SearchPage | null = state.q
    ? await apiGet(`/api/search${query({ ...state, limit: String(state.limit ?? PAGE_SIZE), cursor })}`, responses.search)
    : null;
  const noun = state.type === 'images' ? 'icons or illustrations' : 'sets';
  return (
    <>
      <h1 className="visually-hidden">Search</h1>
      <form action="/search" method="get" role="search" className="search-page-form">
        <label htmlFor="search-input">Search</label>
        <input id="search-input" name="q" type="search" defaultValue={state.q} maxLength={MAX_QUERY_LENGTH} autoComplete="off" />
        {state.type !== 'images' && <input type="hidden" name="type" value={state.type} />}
        <div className="filters">
          <Select name="kind" label="Kind" options={KINDS} value={state.kind} />
          <Select name="license" label="Licence" options={LICENSES} value={state.license} />
          {state.type === 'images' && <Select name="price" label="Price" options={PRICES} value={state.price} />}
          {state.family && <input type="hidden" name="family" value={state.family} />}
          {state.contributor && <input type="hidden" name="contributor" value={state.contributor} />}
          <button type="submit" className="button button-small">
            Search
          </button>
        </div>
      </form>
      {state.q && (
        <nav className="tabs" aria-label="Result type">
          {Object.entries(TYPES).map(([type, label]) => (
            <Link
              key={type}
              href={searchHref({ q: state.q, type: type as SearchState['type'], kind: state.kind, license: state.license, exact: state.exact })}
              className={`tab ${type === state.type ? 'tab-current' : ''}`}
              aria-current={type === state.type ? 'page' : undefined}
            >
              {label}
            </Link>
          ))}
        </nav>
      )}
      {page && (
        <div id="search-results">
          {page.correctedText && (
            <p className="corrected" data-testid="corrected">
              Showing results for <strong>{page.correctedText}</strong>.{' '}
              <Link href={searchHref({ ...state, exact: '1' })}>Search instead for “{state.q}”</Link>
            </p>
          )}
          {page.items.length === 0 ? (
            <div className="empty" data-testid="no-results">
              <p>No {noun} match “{state.q}”.</p>
              {page.suggestions.length > 0 && (
                <p>
                  Try{' '}
                  {page.suggestions.map((word, index) => (
                    <span key={word}>
                      {index > 0 && ', '}
                      <Link href={searchHref({ q: word, type: state.type })} prefetch={false}>{word}</Link>
                    </span>
                  ))}
                  .
                </p>
              )}
              <p>
                Or <Link href="/browse">browse every set</Link>.
              </p>
            </div>
          ) : page.type === 'images' ? (
            <ImageHitGrid hits={page.items} label="Icons and illustrations" />
          ) : (
            <ProductGrid products={page.items} label="Sets" />
          )}
          {page.nextCursor && (
            <p className="pager">
              <Link href={searchHref(state, { cursor: page.nextCursor })} rel="next">
                Next page →
              </Link>
            </p>
          )}
        </div>
      )}
    </>
  );
}

function Select({ name, label, options, value }: { name: string; label: string; options: Record<string, string>; value?: string }) {
  return (
    <label>
      {label}{' '}
      <select name={name} defaultValue={value ?? ''}>
        {Object.entries(options).map(([optionValue, optionLabel]) => (
          <option key={optionValue} value={optionValue}>
            {optionLabel}
          </option>
        ))}
      </select>
    </label>
  );
}

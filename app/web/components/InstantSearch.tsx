'use client';
/**
 * Results while typing. The page around it is server-rendered from `?q=` and the form submits normally,
 * so search works without JavaScript; with it, results follow the input after a short pause and
 * stale responses (an earlier, slower query) never overwrite newer ones.
 */
import { useEffect, useRef, useState } from 'react';
import { responses, type ProductSummary } from '../lib/api-types.ts';
import { apiRequest } from '../lib/client-api.ts';
import { plural } from '../lib/format.ts';
import { ProductGrid } from './ProductCard.tsx';

const DEBOUNCE_MS = 200;
const MAX_QUERY_LENGTH = 200;

export function InstantSearch({ initialQuery, initialResults }: { initialQuery: string; initialResults: ProductSummary[] }) {
  const [text, setText] = useState(initialQuery);
  const [results, setResults] = useState(initialResults);
  const [shownQuery, setShownQuery] = useState(initialQuery);
  const [error, setError] = useState<string | null>(null);
  const latest = useRef(0);

  useEffect(() => {
    const q = text.trim();
    if (q === shownQuery) return;
    const ticket = ++latest.current;
    const timer = setTimeout(async () => {
      window.history.replaceState(null, '', q ? `/search?q=${encodeURIComponent(q)}` : '/search');
      if (!q) {
        setResults([]);
        setShownQuery('');
        return;
      }
      try {
        const page = await apiRequest('GET', `/api/search?type=sets&q=${encodeURIComponent(q)}&limit=24`, responses.search);
        if (ticket !== latest.current) return;
        setResults(page.items);
        setShownQuery(q);
        setError(null);
      } catch {
        if (ticket === latest.current) setError('Search is unavailable right now. Try again in a moment.');
      }
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text, shownQuery]);

  return (
    <>
      <form action="/search" method="get" role="search" className="search-page-form" onSubmit={(event) => event.preventDefault()}>
        <label htmlFor="instant-search">Search</label>
        <input
          id="instant-search"
          name="q"
          type="search"
          value={text}
          maxLength={MAX_QUERY_LENGTH}
          autoComplete="off"
          onChange={(event) => setText(event.target.value)}
          aria-controls="search-results"
        />
      </form>
      <div id="search-results" aria-live="polite">
        {error && <p className="error">{error}</p>}
        {shownQuery ? (
          <p className="result-count">
            {results.length === 0 ? 'No sets match' : `${plural(results.length, 'set')}${results.length === 24 ? '+' : ''} for`} “{shownQuery}”
          </p>
        ) : null}
        {shownQuery && <ProductGrid products={results} label="Search results" />}
      </div>
    </>
  );
}

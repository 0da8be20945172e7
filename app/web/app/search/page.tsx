import type { Metadata } from 'next';
import { InstantSearch } from '../../components/InstantSearch.tsx';
import { responses } from '../../lib/api-types.ts';
import { apiGet, query } from '../../lib/server-api.ts';

type Params = Promise<Record<string, string | string[] | undefined>>;

export async function generateMetadata({ searchParams }: { searchParams: Params }): Promise<Metadata> {
  const q = firstQuery(await searchParams);
  return { title: q ? `“${q}”` : 'Search' };
}

function firstQuery(params: Record<string, string | string[] | undefined>): string {
  const raw = params.q;
  return (Array.isArray(raw) ? raw[0] : raw)?.trim().slice(0, 200) ?? '';
}

export default async function SearchPage({ searchParams }: { searchParams: Params }) {
  const q = firstQuery(await searchParams);
  const page = q ? await apiGet(`/api/search${query({ q, type: 'sets', limit: 24 })}`, responses.search) : { items: [], nextCursor: null };
  return (
    <>
      <h1 className="visually-hidden">Search</h1>
      <InstantSearch key={q} initialQuery={q} initialResults={page.items} />
    </>
  );
}

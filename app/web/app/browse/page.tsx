import Link from 'next/link';
import { ProductGrid } from '../../components/ProductCard.tsx';
import { pageOf, productSummarySchema } from '../../lib/api-types.ts';
import { apiGet, query } from '../../lib/server-api.ts';

export const metadata = { title: 'Browse sets' };

const SORTS = { newest: 'Newest', oldest: 'Oldest', title: 'Title' } as const;
const KINDS = { '': 'All kinds', 'icon-set': 'Icon sets', 'illustration-set': 'Illustrations' } as const;

type Params = Promise<Record<string, string | string[] | undefined>>;

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Plain links and a GET form: filtering and paging work without client JavaScript. */
export default async function BrowsePage({ searchParams }: { searchParams: Params }) {
  const params = await searchParams;
  const sort = one(params.sort) ?? 'newest';
  const kind = one(params.kind) ?? '';
  const cursor = one(params.cursor);
  const page = await apiGet(
    `/api/products${query({ sort: sort in SORTS ? sort : 'newest', kind: kind in KINDS ? kind : undefined, cursor, limit: 24 })}`,
    pageOf(productSummarySchema),
  );
  return (
    <>
      <h1>Browse sets</h1>
      <form action="/browse" method="get" className="filters">
        <label>
          Kind{' '}
          <select name="kind" defaultValue={kind}>
            {Object.entries(KINDS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Sort{' '}
          <select name="sort" defaultValue={sort}>
            {Object.entries(SORTS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="button button-small">
          Apply
        </button>
      </form>
      <ProductGrid products={page.items} label="Sets" />
      {page.nextCursor && (
        <p className="pager">
          <Link href={`/browse${query({ sort, kind, cursor: page.nextCursor })}`}>Next page →</Link>
        </p>
      )}
    </>
  );
}

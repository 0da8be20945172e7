import Link from 'next/link';
import { FamilyCard } from '../components/FamilyCard.tsx';
import { ProductGrid } from '../components/ProductCard.tsx';
import { familySummarySchema, pageOf, productSummarySchema } from '../lib/api-types.ts';
import { apiGet, query } from '../lib/server-api.ts';

export default async function HomePage() {
  const [families, newest] = await Promise.all([
    apiGet(`/api/families${query({ limit: 8 })}`, pageOf(familySummarySchema)),
    apiGet(`/api/products${query({ limit: 12, sort: 'newest' })}`, pageOf(productSummarySchema)),
  ]);
  return (
    <>
      <section className="hero">
        <h1>Icons and illustrations, drawn by independent designers</h1>
        <p>Every file is a clean, sanitised SVG with PNG and WebP renditions in the sizes you need.</p>
        <form action="/search" method="get" role="search" className="hero-search">
          <label htmlFor="hero-search" className="visually-hidden">
            Search
          </label>
          <input id="hero-search" name="q" type="search" placeholder="Try “weather”, “arrows” or “people”" maxLength={200} required />
          <button type="submit" className="button">
            Search
          </button>
        </form>
      </section>

      <section aria-labelledby="families-heading">
        <h2 id="families-heading">Families</h2>
        {families.items.length === 0 ? (
          <p className="empty">No families published yet.</p>
        ) : (
          <ul className="family-grid">
            {families.items.map((family) => (
              <FamilyCard key={family.id} family={family} />
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="newest-heading">
        <div className="section-head">
          <h2 id="newest-heading">New sets</h2>
          {newest.nextCursor && <Link href={`/browse${query({ cursor: newest.nextCursor })}`}>Browse all →</Link>}
        </div>
        <ProductGrid products={newest.items} label="New sets" />
      </section>
    </>
  );
}

import type { Metadata } from 'next';
import { FamilyCard } from '../../../components/FamilyCard.tsx';
import { ProductGrid } from '../../../components/ProductCard.tsx';
import { responses } from '../../../lib/api-types.ts';
import { apiGet, query } from '../../../lib/server-api.ts';

type Props = { params: Promise<{ slug: string }> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { slug } = await params;
  const { contributor } = await apiGet(`/api/contributors/${encodeURIComponent(slug)}`, responses.contributor);
  return { title: contributor.displayName };
}

export default async function ContributorPage({ params }: Props) {
  const { slug } = await params;
  const [{ contributor, families }, sets] = await Promise.all([
    apiGet(`/api/contributors/${encodeURIComponent(slug)}`, responses.contributor),
    apiGet(`/api/products${query({ contributor: slug, limit: 24 })}`, responses.products),
  ]);
  return (
    <>
      <h1>{contributor.displayName}</h1>
      <p className="card-meta">Selling since {new Date(contributor.createdAt).toLocaleDateString('en-US', { year: 'numeric', month: 'long' })}</p>
      <h2>Families</h2>
      {families.length === 0 ? (
        <p className="empty">No published families yet.</p>
      ) : (
        <ul className="family-grid">
          {families.map((family) => (
            <FamilyCard key={family.id} family={family} />
          ))}
        </ul>
      )}
      <h2>Sets</h2>
      <ProductGrid products={sets.items} label={`Sets by ${contributor.displayName}`} />
    </>
  );
}

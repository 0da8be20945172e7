import type { Metadata } from 'next';
import Link from 'next/link';
import { ProductGrid } from '../../../components/ProductCard.tsx';
import { responses } from '../../../lib/api-types.ts';
import { plural } from '../../../lib/format.ts';
import { apiGet } from '../../../lib/server-api.ts';

type Props = { params: Promise<{ familyId: string }> };

async function load(params: Props['params']) {
  const { familyId } = await params;
  return apiGet(`/api/families/${encodeURIComponent(familyId)}`, responses.family);
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  return { title: (await load(params)).family.title };
}

export default async function FamilyPage({ params }: Props) {
  const { family, sets } = await load(params);
  return (
    <>
      <h1>{family.title}</h1>
      <p className="card-meta">
        {plural(family.setCount, 'set')} · {plural(family.imageCount, 'image')} · by{' '}
        <Link href={`/contributors/${family.contributor.slug}`}>{family.contributor.displayName}</Link>
      </p>
      <ProductGrid products={sets} label={`Sets in ${family.title}`} />
    </>
  );
}

import Link from 'next/link';
import { EditImagesForm } from '../../../../components/EditImagesForm.tsx';
import { EditProductForm } from '../../../../components/EditProductForm.tsx';
import { PublishToggle } from '../../../../components/PublishToggle.tsx';
import { responses } from '../../../../lib/api-types.ts';
import { requireContributor } from '../../../../lib/require-contributor.ts';
import { apiGet } from '../../../../lib/server-api.ts';

export const metadata = { title: 'Edit set' };

export default async function EditSetPage({ params }: { params: Promise<{ productId: string }> }) {
  const { productId } = await params;
  const account = await requireContributor(`/dashboard/sets/${productId}`);
  if (!account) return <p className="notice">Only contributors can edit sets.</p>;
  const [{ product }, images] = await Promise.all([
    apiGet(`/api/products/${encodeURIComponent(productId)}`, responses.product, { asVisitor: true }),
    apiGet(`/api/products/${encodeURIComponent(productId)}/images?limit=100`, responses.images, { asVisitor: true }),
  ]);
  return (
    <section className="narrow">
      <h1>Edit “{product.title}”</h1>
      <p>
        <PublishToggle productId={product.id} published={product.published} canPublish={product.status === 'ready' && !product.blocked} />{' '}
        <Link href={`/sets/${product.id}`}>View in store</Link>
      </p>
      <EditProductForm product={product} />
      <h2>Images</h2>
      <p className="muted">Titles and tags of each image; search shows changes at once.</p>
      <EditImagesForm productId={product.id} images={images.items} />
      {images.nextCursor && <p className="muted">The first 100 images are shown.</p>}
      <p>
        <Link href="/dashboard">← Back to your sets</Link>
      </p>
    </section>
  );
}

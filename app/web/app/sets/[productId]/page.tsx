import type { Metadata } from 'next';
import Link from 'next/link';
import { Picture } from '../../../components/Picture.tsx';
import { SetActions } from '../../../components/SetActions.tsx';
import { responses } from '../../../lib/api-types.ts';
import { formatPrice, KIND_LABELS, LICENSE_LABELS, plural } from '../../../lib/format.ts';
import { PREVIEW_SIZES } from '../../../lib/renditions.ts';
import { apiGet, query } from '../../../lib/server-api.ts';

type Props = { params: Promise<{ productId: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { productId } = await params;
  const { product } = await apiGet(`/api/products/${encodeURIComponent(productId)}`, responses.product, { asVisitor: true });
  return { title: product.title, description: product.description ?? undefined };
}

export default async function SetPage({ params, searchParams }: Props) {
  const { productId } = await params;
  const search = await searchParams;
  const id = encodeURIComponent(productId);
  const cursor = typeof search.cursor === 'string' ? search.cursor : undefined;
  // The owner sees their unpublished set here too (the API decides), so the visitor's session goes along.
  const [{ product }, images] = await Promise.all([
    apiGet(`/api/products/${id}`, responses.product, { asVisitor: true }),
    apiGet(`/api/products/${id}/images${query({ limit: 100, cursor })}`, responses.images, { asVisitor: true }),
  ]);
  const sizes = PREVIEW_SIZES[product.kind];
  const requested = Number(search.size);
  const size = (sizes as readonly number[]).includes(requested) ? requested : sizes[1];

  return (
    <article className="set-page">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link href={`/contributors/${product.contributor.slug}`}>{product.contributor.displayName}</Link> ›{' '}
        <Link href={`/families/${product.family.id}`}>{product.family.title}</Link>
      </nav>
      <header className="set-header">
        <div>
          <h1>{product.title}</h1>
          <p className="card-meta">
            {KIND_LABELS[product.kind]} · {plural(product.imageCount, 'image')} ·{' '}
            <Link href={`/licence/${product.license}`}>{LICENSE_LABELS[product.license]}</Link>
          </p>
          {product.description && <p className="description">{product.description}</p>}
          {product.tags.length > 0 && (
            <ul className="tags" aria-label="Tags">
              {product.tags.map((tag) => (
                <li key={tag}>
                  <Link href={`/search${query({ q: tag })}`} prefetch={false}>{tag}</Link>
                </li>
              ))}
            </ul>
          )}
        </div>
        <div className="buy-box">
          <p className="price-big">{formatPrice(product.price)}</p>
          <p className="card-meta">SVG · PNG · WebP</p>
          <SetActions productId={product.id} title={product.title} price={formatPrice(product.price)} free={!product.price || product.price.amount === 0} />
          <p className="muted">
            <Link href={`/licence/${product.license}`}>{LICENSE_LABELS[product.license]}</Link>: what you may do with this set.
          </p>
          {!product.published && <p className="notice">Not published: only you can see this set.</p>}
        </div>
      </header>

      <section aria-labelledby="preview-heading">
        <div className="section-head">
          <h2 id="preview-heading">Preview</h2>
          <nav aria-label="Preview size" className="size-switch">
            {sizes.map((option) => (
              <Link
                key={option}
                href={`/sets/${product.id}${query({ size: option, cursor })}`}
                aria-current={option === size ? 'true' : undefined}
                scroll={false}
                prefetch={false}
              >
                {option} px
              </Link>
            ))}
          </nav>
        </div>
        <ul className="preview-grid" style={{ ['--cell' as string]: `${size}px` }} aria-label="Images in this set">
          {images.items.map((image) => (
            <li key={image.id}>
              <Link href={`/images/${image.id}`} title={image.title} prefetch={false}>
                <Picture image={image} displayWidth={size} alt={image.title} />
                <span className="preview-title">{image.title}</span>
              </Link>
            </li>
          ))}
        </ul>
        {images.nextCursor && (
          <p className="pager">
            <Link href={`/sets/${product.id}${query({ size, cursor: images.nextCursor })}`}>More images →</Link>
          </p>
        )}
      </section>
    </article>
  );
}

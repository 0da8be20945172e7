import Link from 'next/link';
import type { ProductSummary } from '../lib/api-types.ts';
import { formatPrice, KIND_LABELS, plural } from '../lib/format.ts';
import { DISPLAY } from '../lib/renditions.ts';
import { Picture } from './Picture.tsx';

export function ProductCard({ product, eager }: { product: ProductSummary; eager?: boolean }) {
  const icon = product.kind === 'icon-set';
  return (
    <li className="card" data-testid="product-card">
      {/* Not prefetched, as ImageHitCard: a grid of cards would ask for every set page at once. */}
      <Link href={`/sets/${product.id}`} className="card-link" prefetch={false}>
        <div className={`card-cover ${icon ? 'cover-icon' : 'cover-illustration'}`}>
          {product.cover ? (
            <Picture
              image={product.cover}
              displayWidth={icon ? DISPLAY.cardIcon : DISPLAY.cardIllustration}
              sizes={icon ? undefined : `(max-width: 640px) 45vw, ${DISPLAY.cardIllustration}px`}
              alt=""
              eager={eager}
            />
          ) : (
            <span className="cover-placeholder">{product.status === 'processing' ? 'Processing…' : 'No preview'}</span>
          )}
        </div>
        <div className="card-body">
          <h3 className="card-title">{product.title}</h3>
          <p className="card-meta">
            {KIND_LABELS[product.kind]} · {plural(product.imageCount, 'image')}
          </p>
          <p className="card-foot">
            <span className="card-author">by {product.contributor.displayName}</span>
            <span className={`price ${product.price ? '' : 'price-free'}`}>{formatPrice(product.price)}</span>
          </p>
        </div>
      </Link>
    </li>
  );
}

export function ProductGrid({ products, label }: { products: readonly ProductSummary[]; label: string }) {
  if (products.length === 0) return <p className="empty">Nothing here yet.</p>;
  return (
    <ul className="grid" aria-label={label}>
      {products.map((product, index) => (
        <ProductCard key={product.id} product={product} eager={index < 4} />
      ))}
    </ul>
  );
}

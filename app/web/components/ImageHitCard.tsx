import Link from 'next/link';
import type { ImageHit } from '../lib/api-types.ts';
import { formatPrice } from '../lib/format.ts';
import { DISPLAY } from '../lib/renditions.ts';
import { Picture } from './Picture.tsx';

/** One icon or illustration found by search: the artwork itself, its title, set and contributor. */
export function ImageHitCard({ hit, eager }: { hit: ImageHit; eager?: boolean }) {
  const icon = hit.set.kind === 'icon-set';
  return (
    <li className="card" data-testid="icon-card">
      {/* Not prefetched: a page of 48 cards would ask the server for 48 pages at once, and meet the front door's rate limit. */}
      <Link href={`/images/${hit.id}`} className="card-link" prefetch={false}>
        <div className={`card-cover ${icon ? 'cover-icon' : 'cover-illustration'}`}>
          <Picture
            image={hit}
            displayWidth={icon ? DISPLAY.cardIcon : DISPLAY.cardIllustration}
            sizes={icon ? undefined : `(max-width: 640px) 45vw, ${DISPLAY.cardIllustration}px`}
            alt=""
            eager={eager}
          />
        </div>
        <div className="card-body">
          <h3 className="card-title">{hit.title}</h3>
          <p className="card-meta">in {hit.set.title}</p>
          <p className="card-foot">
            <span className="card-author">by {hit.contributor.displayName}</span>
            <span className={`price ${hit.set.price ? '' : 'price-free'}`}>{formatPrice(hit.set.price)}</span>
          </p>
        </div>
      </Link>
    </li>
  );
}

export function ImageHitGrid({ hits, label }: { hits: readonly ImageHit[]; label: string }) {
  return (
    <ul className="grid grid-icons" aria-label={label}>
      {hits.map((hit, index) => (
        <ImageHitCard key={hit.id} hit={hit} eager={index < 8} />
      ))}
    </ul>
  );
}

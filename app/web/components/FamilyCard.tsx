import Link from 'next/link';
import type { FamilySummary } from '../lib/api-types.ts';
import { plural } from '../lib/format.ts';

/** Family previews are one composed image (a sample across the family's sets), so no srcset here. */
export function FamilyCard({ family }: { family: FamilySummary }) {
  return (
    <li className="family-card">
      <Link href={`/families/${family.id}`} prefetch={false}>
        <div className="family-preview">
          {family.preview ? (
            <picture>
              {family.preview.webp && <source type="image/webp" srcSet={family.preview.webp} />}
              <img src={family.preview.png ?? family.preview.webp} alt="" loading="lazy" decoding="async" />
            </picture>
          ) : (
            <span className="cover-placeholder">{family.title}</span>
          )}
        </div>
        <h3>{family.title}</h3>
        <p className="card-meta">
          {plural(family.setCount, 'set')} · {plural(family.imageCount, 'image')} · by {family.contributor.displayName}
        </p>
      </Link>
    </li>
  );
}

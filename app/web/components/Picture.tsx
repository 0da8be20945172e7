import type { ImageSummary } from '../lib/api-types.ts';
import { pictureSources } from '../lib/renditions.ts';

interface PictureProps {
  image: Pick<ImageSummary, 'renditions' | 'title' | 'width' | 'height'>;
  /** CSS width the layout gives the image (px); drives `sizes` and the fallback's pick. */
  displayWidth: number;
  /** A `sizes` value when the width is fluid; defaults to the fixed `displayWidth`. */
  sizes?: string;
  alt?: string;
  eager?: boolean;
  className?: string;
}

/** WebP first, PNG for the rest; intrinsic size set so the grid does not jump while images load. */
export function Picture({ image, displayWidth, sizes, alt, eager, className }: PictureProps) {
  const sources = pictureSources(image, displayWidth);
  if (!sources.fallback) return <div className={`picture-missing ${className ?? ''}`} role="img" aria-label={alt ?? image.title} />;
  const sizesAttr = sizes ?? `${displayWidth}px`;
  const aspect = image.width > 0 && image.height > 0 ? image.height / image.width : 1;
  return (
    <picture className={className}>
      {sources.webp && <source type="image/webp" srcSet={sources.webp} sizes={sizesAttr} />}
      <img
        src={sources.fallback.url}
        srcSet={sources.png}
        sizes={sizesAttr}
        width={displayWidth}
        height={Math.round(displayWidth * aspect)}
        alt={alt ?? image.title}
        loading={eager ? 'eager' : 'lazy'}
        decoding="async"
      />
    </picture>
  );
}

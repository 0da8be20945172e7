import type { Metadata } from 'next';
import Link from 'next/link';
import { DownloadButtons } from '../../../components/DownloadButtons.tsx';
import { Picture } from '../../../components/Picture.tsx';
import { responses } from '../../../lib/api-types.ts';
import { formatPrice, LICENSE_LABELS } from '../../../lib/format.ts';
import { DISPLAY } from '../../../lib/renditions.ts';
import { apiGet, query } from '../../../lib/server-api.ts';

type Props = { params: Promise<{ imageId: string }> };

async function load(params: Props['params']) {
  const { imageId } = await params;
  return apiGet(`/api/images/${encodeURIComponent(imageId)}`, responses.image, { asVisitor: true });
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { image, product } = await load(params);
  return { title: `${image.title} — ${product.title}` };
}

export default async function ImagePage({ params }: Props) {
  const { image, product, downloads } = await load(params);
  const display = product.kind === 'icon-set' ? DISPLAY.detailIcon : DISPLAY.detailIllustration;
  const formats = [...new Set(image.renditions.map((r) => r.format))];
  const sizes = [...new Set(image.renditions.map((r) => r.size))].sort((a, b) => a - b);
  return (
    <article className="image-page">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link href={`/sets/${product.id}`}>{product.title}</Link>
      </nav>
      <div className="image-layout">
        <div className="image-stage">
          <Picture image={image} displayWidth={display} sizes={`(max-width: ${display + 32}px) 90vw, ${display}px`} eager />
        </div>
        <div className="image-info">
          <h1>{image.title}</h1>
          <p className="card-meta">
            <Link href={`/licence/${product.license}`}>{LICENSE_LABELS[product.license]}</Link> · {formatPrice(product.price)} for the set
          </p>
          <dl className="facts">
            <dt>Formats</dt>
            <dd>SVG, {formats.map((f) => f.toUpperCase()).join(', ')}</dd>
            <dt>Sizes</dt>
            <dd>{sizes.map((s) => `${s} px`).join(', ')}</dd>
            <dt>Artboard</dt>
            <dd>
              {image.width} × {image.height}
            </dd>
          </dl>
          {image.tags.length > 0 && (
            <ul className="tags" aria-label="Tags">
              {image.tags.map((tag) => (
                <li key={tag}>
                  <Link href={`/search${query({ q: tag })}`}>{tag}</Link>
                </li>
              ))}
            </ul>
          )}
          <DownloadButtons imageId={image.id} svg={downloads.svg} pngSizes={downloads.pngSizes} />
        </div>
      </div>
    </article>
  );
}

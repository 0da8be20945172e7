import type { Metadata } from 'next';
import Link from 'next/link';
import { CopySvgButton } from '../../../components/CopySvgButton.tsx';
import { CustomiseForm } from '../../../components/CustomiseForm.tsx';
import { DownloadButtons } from '../../../components/DownloadButtons.tsx';
import { Picture } from '../../../components/Picture.tsx';
import { responses, type ImageSummary } from '../../../lib/api-types.ts';
import { formatPrice, LICENSE_LABELS } from '../../../lib/format.ts';
import { DISPLAY } from '../../../lib/renditions.ts';
import { apiGet, query } from '../../../lib/server-api.ts';
import './image-page.css';

type Props = { params: Promise<{ imageId: string }> };

/** Images shown in "More from this set" and "Related". */
const STRIP_LENGTH = 12;
const STRIP_DISPLAY = 64;

async function load(params: Props['params']) {
  const { imageId } = await params;
  return apiGet(`/api/images/${encodeURIComponent(imageId)}`, responses.image, { asVisitor: true });
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { image, product } = await load(params);
  return { title: `${image.title} — ${product.title}` };
}

function Strip({ label, images, setTitles }: { label: string; images: ImageSummary[]; setTitles?: Map<string, string> }) {
  return (
    <ul className="strip" aria-label={label}>
      {images.map((image) => (
        <li key={image.id}>
          <Link href={`/images/${image.id}`} title={image.title} prefetch={false}>
            <Picture image={image} displayWidth={STRIP_DISPLAY} alt={image.title} />
            <span className="preview-title">{image.title}</span>
            {setTitles?.get(image.id) && <span className="preview-set">{setTitles.get(image.id)}</span>}
          </Link>
        </li>
      ))}
    </ul>
  );
}

export default async function ImagePage({ params }: Props) {
  const { imageId } = await params;
  const id = encodeURIComponent(imageId);
  const { image, product, downloads, neighbours } = await load(params);
  const [setImages, related] = await Promise.all([
    apiGet(`/api/products/${encodeURIComponent(product.id)}/images${query({ limit: STRIP_LENGTH + 1 })}`, responses.images, { asVisitor: true }),
    apiGet(`/api/images/${id}/related${query({ limit: STRIP_LENGTH })}`, responses.relatedImages, { asVisitor: true }),
  ]);
  const moreFromSet = setImages.items.filter((other) => other.id !== image.id).slice(0, STRIP_LENGTH);
  const display = product.kind === 'icon-set' ? DISPLAY.detailIcon : DISPLAY.detailIllustration;
  const formats = [...new Set(image.renditions.map((r) => r.format))];
  const sizes = [...new Set(image.renditions.map((r) => r.size))].sort((a, b) => a - b);
  const noun = product.kind === 'icon-set' ? 'icons' : 'illustrations';
  return (
    <article className="image-page">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <ol>
          <li>
            <Link href={`/families/${product.family.id}`}>{product.family.title}</Link>
          </li>
          <li>
            <Link href={`/sets/${product.id}`}>{product.title}</Link>
          </li>
          <li aria-current="page">{image.title}</li>
        </ol>
      </nav>
      <nav aria-label="In this set" className="image-nav">
        {neighbours.previous && (
          <Link href={`/images/${neighbours.previous.id}`} rel="prev" className="previous">
            ← {neighbours.previous.title}
          </Link>
        )}
        {neighbours.next && (
          <Link href={`/images/${neighbours.next.id}`} rel="next" className="next">
            {neighbours.next.title} →
          </Link>
        )}
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
                  <Link href={`/search${query({ q: tag })}`} prefetch={false}>{tag}</Link>
                </li>
              ))}
            </ul>
          )}
          <DownloadButtons imageId={image.id} svg={downloads.svg} pngSizes={downloads.pngSizes} webpSizes={downloads.webpSizes} />
          {downloads.copySvg && <CopySvgButton imageId={image.id} />}
          {downloads.svg && <CustomiseForm imageId={image.id} customisable={downloads.customisable} />}
        </div>
      </div>
      {moreFromSet.length > 0 && (
        <section aria-labelledby="more-heading">
          <div className="section-head">
            <h2 id="more-heading">More from this set</h2>
            <Link href={`/sets/${product.id}`}>All {product.imageCount} {noun} →</Link>
          </div>
          <Strip label="More from this set" images={moreFromSet} />
        </section>
      )}
      {related.items.length > 0 && (
        <section aria-labelledby="related-heading">
          <h2 id="related-heading">Related {noun}</h2>
          <Strip label={`Related ${noun}`} images={related.items} setTitles={new Map(related.items.map((item) => [item.id, item.setTitle]))} />
        </section>
      )}
    </article>
  );
}

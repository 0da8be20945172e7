'use client';
/** Each image's title and tags, saved one image at a time (PATCH /api/products/:id/images/:imageId). */
import { useState, type FormEvent } from 'react';
import { z } from 'zod';
import { imageSummarySchema, type ImageSummary } from '../lib/api-types.ts';
import { apiRequest, ClientApiError } from '../lib/client-api.ts';

const imageReply = z.object({ image: imageSummarySchema });

function ImageRow({ productId, image }: { productId: string; image: ImageSummary }) {
  const [message, setMessage] = useState<string | null>(null);

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setMessage(null);
    try {
      const { image: saved } = await apiRequest('PATCH', `/api/products/${encodeURIComponent(productId)}/images/${encodeURIComponent(image.id)}`, imageReply, {
        title: String(form.get('title') ?? ''),
        tags: String(form.get('tags') ?? '')
          .split(',')
          .map((tag) => tag.trim())
          .filter(Boolean),
      });
      setMessage(`Saved: ${saved.title}`);
    } catch (caught) {
      setMessage(caught instanceof ClientApiError ? Object.values(caught.fieldIssues).join(' ') || caught.message : 'Saving failed.');
    }
  }

  return (
    <li>
      <form className="image-edit" onSubmit={save} aria-label={`Image ${image.position + 1}`}>
        <input name="title" aria-label={`Title of image ${image.position + 1}`} defaultValue={image.title} required maxLength={120} />
        <input name="tags" aria-label={`Tags of image ${image.position + 1}`} defaultValue={image.tags.join(', ')} placeholder="tags, comma-separated" />
        <button type="submit" className="button button-small button-secondary">
          Save
        </button>
        {message && (
          <span role="status" className="muted">
            {message}
          </span>
        )}
      </form>
    </li>
  );
}

export function EditImagesForm({ productId, images }: { productId: string; images: ImageSummary[] }) {
  return (
    <ul className="image-edit-list" style={{ listStyle: 'none', padding: 0, display: 'flex', flexDirection: 'column', gap: 8 }}>
      {images.map((image) => (
        <ImageRow key={image.id} productId={productId} image={image} />
      ))}
    </ul>
  );
}

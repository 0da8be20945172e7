'use client';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { responses, type ProductDetail } from '../lib/api-types.ts';
import { apiRequest, ClientApiError } from '../lib/client-api.ts';

/** Tags are typed comma-separated; the API lower-cases and de-duplicates them. */
function parseTags(text: string): string[] {
  return text
    .split(',')
    .map((tag) => tag.trim())
    .filter(Boolean);
}

export function EditProductForm({ product }: { product: ProductDetail }) {
  const router = useRouter();
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const description = String(form.get('description') ?? '').trim();
    setFieldErrors({});
    setMessage(null);
    try {
      await apiRequest('PATCH', `/api/products/${encodeURIComponent(product.id)}`, responses.product, {
        title: String(form.get('title') ?? ''),
        description: description || null,
        tags: parseTags(String(form.get('tags') ?? '')),
      });
      setMessage('Saved.');
      router.refresh();
    } catch (caught) {
      if (caught instanceof ClientApiError) {
        setFieldErrors(caught.fieldIssues);
        setMessage(caught.message);
      } else setMessage('Saving failed.');
    }
  }

  const issue = (field: string) =>
    Object.entries(fieldErrors).find(([path]) => path === field || path.startsWith(`${field}.`))?.[1];

  return (
    <form className="edit-form" onSubmit={save}>
      <div className="field">
        <label htmlFor="title">Title</label>
        <input id="title" name="title" defaultValue={product.title} required maxLength={120} />
        {issue('title') && <p className="field-error">{issue('title')}</p>}
      </div>
      <div className="field">
        <label htmlFor="description">Description</label>
        <textarea id="description" name="description" defaultValue={product.description ?? ''} maxLength={2000} rows={4} />
        {issue('description') && <p className="field-error">{issue('description')}</p>}
      </div>
      <div className="field">
        <label htmlFor="tags">Tags (comma-separated)</label>
        <input id="tags" name="tags" defaultValue={product.tags.join(', ')} />
        {issue('tags') && <p className="field-error">{issue('tags')}</p>}
      </div>
      <button type="submit" className="button">
        Save
      </button>
      {message && (
        <p role="status" className="muted">
          {message}
        </p>
      )}
    </form>
  );
}

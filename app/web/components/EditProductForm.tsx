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
    const priceText = String(form.get('price') ?? '').trim();
    // The form takes the price in currency units ("9.00"); the API takes integer cents. Empty or 0 = free.
    const cents = priceText === '' ? 0 : Math.round(Number(priceText) * 100);
    setFieldErrors({});
    setMessage(null);
    try {
      await apiRequest('PATCH', `/api/products/${encodeURIComponent(product.id)}`, responses.product, {
        title: String(form.get('title') ?? ''),
        description: description || null,
        tags: parseTags(String(form.get('tags') ?? '')),
        license: String(form.get('license') ?? ''),
        price: cents === 0 ? null : { amount: Number.isFinite(cents) ? cents : -1, currency: String(form.get('currency') ?? '').trim() },
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
      <div className="field">
        <label htmlFor="license">Licence</label>
        <select id="license" name="license" defaultValue={product.license}>
          <option value="free">Free</option>
          <option value="standard">Standard</option>
          <option value="extended">Extended</option>
        </select>
        {issue('license') && <p className="field-error">{issue('license')}</p>}
      </div>
      <div className="field">
        <label htmlFor="price">Price (empty or 0 = free)</label>
        <input id="price" name="price" type="number" min={0} max={1000} step={0.01} defaultValue={product.price ? (product.price.amount / 100).toFixed(2) : ''} />
        {issue('price') && <p className="field-error">{issue('price')}</p>}
      </div>
      <div className="field">
        <label htmlFor="currency">Currency (ISO 4217)</label>
        <input id="currency" name="currency" defaultValue={product.price?.currency ?? 'USD'} maxLength={3} />
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

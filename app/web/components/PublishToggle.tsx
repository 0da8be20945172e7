'use client';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { z } from 'zod';
import { productDetailSchema } from '../lib/api-types.ts';
import { apiRequest } from '../lib/client-api.ts';

export function PublishToggle({ productId, published, canPublish }: { productId: string; published: boolean; canPublish: boolean }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const action = published ? 'unpublish' : 'publish';

  async function toggle() {
    setBusy(true);
    setError(null);
    try {
      await apiRequest('POST', `/api/products/${encodeURIComponent(productId)}/${action}`, z.object({ product: productDetailSchema }));
      router.refresh();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : 'That did not work.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <span className="publish-toggle">
      <button type="button" className={published ? 'button button-secondary' : 'button'} disabled={busy || (!published && !canPublish)} onClick={toggle}>
        {published ? 'Unpublish' : 'Publish'}
      </button>
      {error && (
        <span className="error" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}

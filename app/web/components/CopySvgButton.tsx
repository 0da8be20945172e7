'use client';
/** Copies the sanitised SVG file (not the preview) to the clipboard; the API decides who may take it. */
import { useState } from 'react';
import { apiErrorSchema } from '../lib/api-types.ts';

export function CopySvgButton({ imageId }: { imageId: string }) {
  const [message, setMessage] = useState<string | null>(null);

  async function copy() {
    setMessage(null);
    try {
      const response = await fetch(`/api/images/${encodeURIComponent(imageId)}/svg`, { credentials: 'same-origin' });
      if (!response.ok) {
        const parsed = apiErrorSchema.safeParse(await response.json().catch(() => null));
        setMessage(parsed.success ? parsed.data.error.message : `The server answered ${response.status}.`);
        return;
      }
      await navigator.clipboard.writeText(await response.text());
      setMessage('SVG copied to the clipboard.');
    } catch {
      setMessage('Copying failed: the browser did not allow clipboard access.');
    }
  }

  return (
    <p className="copy-svg">
      <button type="button" className="button button-secondary" onClick={copy}>
        Copy SVG
      </button>{' '}
      {message && (
        <span role="status" className="muted">
          {message}
        </span>
      )}
    </p>
  );
}

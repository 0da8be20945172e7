'use client';
/** Downloads need an account (the API logs each one), so they are the one storefront action that needs JS. */
import Link from 'next/link';
import { useState } from 'react';
import { responses } from '../lib/api-types.ts';
import { apiRequest, ClientApiError } from '../lib/client-api.ts';

type Request = { format: 'svg' } | { format: 'png'; size: number } | { format: 'webp'; size: number };

export function DownloadButtons({ imageId, svg, pngSizes, webpSizes = [] }: { imageId: string; svg: boolean; pngSizes: number[]; webpSizes?: number[] }) {
  const [message, setMessage] = useState<{ text: string; signIn?: boolean } | null>(null);
  const [busy, setBusy] = useState(false);

  async function download(request: Request) {
    setBusy(true);
    setMessage(null);
    try {
      // WebP files are rendered (and kept) by the customised-download route; SVG and PNG are stored as they are.
      const path = request.format === 'webp' ? '/api/downloads/custom' : '/api/downloads';
      const { url } = await apiRequest('POST', path, responses.download, { imageId, ...request });
      window.location.assign(url);
    } catch (error) {
      if (error instanceof ClientApiError && error.status === 401) setMessage({ text: 'Sign in to download.', signIn: true });
      else setMessage({ text: error instanceof Error ? error.message : 'The download failed.' });
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="downloads">
      <h2>Download</h2>
      <ul>
        {svg && (
          <li>
            <button type="button" className="button" disabled={busy} onClick={() => download({ format: 'svg' })}>
              SVG <span className="muted">vector</span>
            </button>
          </li>
        )}
        {[...pngSizes].sort((a, b) => a - b).map((size) => (
          <li key={size}>
            <button type="button" className="button button-secondary" disabled={busy} onClick={() => download({ format: 'png', size })}>
              PNG <span className="muted">{size} px</span>
            </button>
          </li>
        ))}
        {[...webpSizes].sort((a, b) => a - b).map((size) => (
          <li key={`webp-${size}`}>
            <button type="button" className="button button-secondary" disabled={busy} onClick={() => download({ format: 'webp', size })}>
              WebP <span className="muted">{size} px</span>
            </button>
          </li>
        ))}
      </ul>
      {message && (
        <p className="notice" role="status">
          {message.text} {message.signIn && <Link href="/signin">Sign in</Link>}
        </p>
      )}
    </div>
  );
}

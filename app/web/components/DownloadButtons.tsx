'use client';
/** Downloads need an account (the API logs each one), so they are the one storefront action that needs JS. */
import Link from 'next/link';
import { useState } from 'react';
import { responses } from '../lib/api-types.ts';
import { apiRequest, ClientApiError } from '../lib/client-api.ts';

type Request = { format: 'svg' } | { format: 'png'; size: number } | { format: 'webp'; size: number };

export function DownloadButtons({ imageId, svg, pngSizes, webpSizes = [] }: { imageId: string; svg: boolean; pngSizes: number[]; webpSizes?: number[] }) {
  const [message, setMessage] = useState<{ text: string; signIn?: boolean; action?: { label: string; href: string } } | null>(null);
  const [licenceFile, setLicenceFile] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function download(request: Request) {
    setBusy(true);
    setMessage(null);
    try {
      const { url, licenceFile } = await apiRequest('POST', '/api/downloads', responses.download, { imageId, ...request });
      // The licence travels beside a single file: offered as its own download (LICENSE.txt).
      setLicenceFile(licenceFile?.url ?? null);
      window.location.assign(url);
    } catch (error) {
      if (error instanceof ClientApiError && error.status === 401) setMessage({ text: 'Sign in to download.', signIn: true });
      else if (error instanceof ClientApiError && error.status === 402) setMessage({ text: error.message, action: error.action });
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
      {licenceFile && (
        <p className="muted">
          Your licence for this file: <a href={licenceFile}>LICENSE.txt</a>
        </p>
      )}
      {message && (
        <p className="notice" role="status">
          {message.text}{' '}
          {message.signIn && <Link href={`/signin?next=${encodeURIComponent(`/images/${imageId}`)}`}>Sign in</Link>}
          {message.action && <Link href={message.action.href}>{message.action.label}</Link>}
        </p>
      )}
    </div>
  );
}

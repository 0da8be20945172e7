'use client';
/**
 * Create a set: pick the ZIP, upload it straight to S3 with a progress bar, then watch the pipeline
 * check and render it, live, until it is ready to publish or rejected with every reason.
 */
import Link from 'next/link';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { z } from 'zod';
import { productDetailSchema, responses, type Draft } from '../lib/api-types.ts';
import { apiRequest } from '../lib/client-api.ts';
import { watchDraft } from '../lib/draft-events.ts';
import { postToS3 } from '../lib/upload.ts';
import { DraftStatus } from './DraftStatus.tsx';
import { RetryFailedImages } from './RetryFailedImages.tsx';

type Phase = 'choose' | 'uploading' | 'watching' | 'published';

export function UploadFlow() {
  const [phase, setPhase] = useState<Phase>('choose');
  const [fraction, setFraction] = useState(0);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const stopWatching = useRef<(() => void) | null>(null);
  /** Set once the contributor retried the failed images: the retry's answer stays on screen while the set renders. */
  const [retried, setRetried] = useState(false);

  useEffect(() => () => stopWatching.current?.(), []);

  async function upload(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const file = new FormData(event.currentTarget).get('archive');
    if (!(file instanceof File) || file.size === 0) {
      setError('Choose a ZIP file first.');
      return;
    }
    if (!file.name.toLowerCase().endsWith('.zip')) {
      setError('The upload must be a .zip archive with your SVGs and a manifest.json.');
      return;
    }
    setError(null);
    setPhase('uploading');
    setFraction(0);
    try {
      const created = await apiRequest('POST', '/api/drafts', responses.newDraft, {});
      if (file.size > created.upload.maxBytes) {
        throw new Error(`The ZIP is ${(file.size / 2 ** 20).toFixed(1)} MiB; the limit is ${(created.upload.maxBytes / 2 ** 20).toFixed(0)} MiB.`);
      }
      setDraft(created.draft);
      await postToS3(created.upload, file, setFraction);
      // The last progress event and the end of the upload often land in one render: say it is done.
      setFraction(1);
      setPhase('watching');
      follow(created.draft.id);
    } catch (caught) {
      setPhase('choose');
      setError(caught instanceof Error ? caught.message : 'The upload failed.');
    }
  }

  function follow(draftId: string) {
    stopWatching.current?.();
    stopWatching.current = watchDraft(
      draftId,
      (next) => {
        setNote(null);
        setDraft(next);
      },
      setNote,
    );
  }

  async function publish() {
    if (!draft) return;
    setError(null);
    try {
      await apiRequest('POST', `/api/products/${encodeURIComponent(draft.productId)}/publish`, z.object({ product: productDetailSchema }));
      setPhase('published');
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : 'Publishing failed.');
    }
  }

  return (
    <div className="upload-flow">
      {phase === 'choose' && (
        <form onSubmit={upload} className="upload-form">
          <label htmlFor="archive" className="dropzone">
            <strong>Choose your set’s ZIP</strong>
            <span className="muted">SVG files plus a manifest.json, up to 200 MiB</span>
            <input id="archive" name="archive" type="file" accept=".zip,application/zip" required />
          </label>
          <button type="submit" className="button">
            Upload
          </button>
        </form>
      )}

      {(phase === 'uploading' || (phase === 'watching' && fraction === 1)) && (
        <div className="progress-row">
          <progress max={1} value={fraction} aria-label="Upload progress" />
          <span data-testid="upload-percent">{Math.round(fraction * 100)}% uploaded</span>
        </div>
      )}

      {(phase === 'watching' || phase === 'published') && draft && <DraftStatus draft={draft} />}
      {note && <p className="muted">{note}</p>}

      {phase === 'watching' && draft?.state === 'ready' && (
        <p className="actions">
          <button type="button" className="button" onClick={publish}>
            Publish set
          </button>
          <Link href={`/sets/${draft.productId}`}>Preview it first</Link>
        </p>
      )}
      {phase === 'watching' && draft && (draft.state === 'failed' || retried) && (
        <RetryFailedImages
          key={draft.productId}
          productId={draft.productId}
          onRetried={() => {
            setRetried(true);
            follow(draft.id);
          }}
        />
      )}
      {phase === 'watching' && draft && (draft.state === 'rejected' || draft.state === 'failed') && (
        <p className="actions">
          <button type="button" className="button" onClick={() => setPhase('choose')}>
            Upload a corrected ZIP
          </button>
        </p>
      )}
      {phase === 'published' && draft && (
        <p className="success" role="status">
          Published. <Link href={`/sets/${draft.productId}`}>See it in the store</Link>
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

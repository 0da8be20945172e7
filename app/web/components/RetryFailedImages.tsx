'use client';
/**
 * "Retry failed images" on a failed set: queues its failed images (only those) again through
 * POST /api/products/:productId/retry, which answers only the set's contributor or an admin, and says
 * which images went back into the pipeline and why each had failed.
 */
import { useEffect, useRef, useState } from 'react';
import type { z } from 'zod';
import { responses, type Draft } from '../lib/api-types.ts';
import { apiRequest } from '../lib/client-api.ts';
import { watchDraft } from '../lib/draft-events.ts';
import { plural } from '../lib/format.ts';
import { DraftStatus } from './DraftStatus.tsx';

type RetryResult = z.infer<typeof responses.retry>;

/** The button and, once pressed, what was queued again; `onRetried` lets the page follow the set's progress. */
export function RetryFailedImages({ productId, onRetried }: { productId: string; onRetried: () => void }) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<RetryResult | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function retry() {
    setBusy(true);
    setError(null);
    try {
      const answer = await apiRequest('POST', `/api/products/${encodeURIComponent(productId)}/retry`, responses.retry, {});
      setResult(answer);
      onRetried();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : 'The retry did not go through.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="retry-failed">
      {!result && (
        <button type="button" className="button" disabled={busy} onClick={retry}>
          {busy ? 'Queuing…' : 'Retry failed images'}
        </button>
      )}
      {result && (
        <div className="retry-result" role="status">
          <p>
            Queued again: {plural(result.images, 'image')}. The set is rendering; this page follows its progress.
          </p>
          {result.retried.length > 0 && (
            <ul className="retried">
              {result.retried.map((image) => (
                <li key={image.file}>
                  <code>{image.file}</code> had failed: {image.reason ?? 'no reason was recorded'}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/**
 * A failed upload on the dashboard: its status with every failed image's reason, the retry button, and
 * after a retry the set's progress, live, until it is ready or fails again.
 */
export function FailedDraft({ draft }: { draft: Draft }) {
  const [live, setLive] = useState<Draft>(draft);
  const [note, setNote] = useState<string | null>(null);
  const stop = useRef<(() => void) | null>(null);
  useEffect(() => () => stop.current?.(), []);

  const follow = () => {
    stop.current?.();
    stop.current = watchDraft(
      draft.id,
      (next) => {
        setNote(null);
        setLive(next);
      },
      setNote,
    );
  };

  return (
    <>
      <DraftStatus draft={live} />
      {note && <p className="muted">{note}</p>}
      <RetryFailedImages productId={draft.productId} onRetried={follow} />
    </>
  );
}

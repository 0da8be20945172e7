import type { Draft } from '../lib/api-types.ts';

export const STATE_LABELS: Record<Draft['state'], string> = {
  'awaiting-upload': 'Waiting for the ZIP',
  received: 'Received — checking the archive',
  rejected: 'Rejected',
  processing: 'Rendering previews',
  ready: 'Ready to publish',
  failed: 'Failed',
};

/** A draft's state, progress and every reason it was rejected, as the contributor should read them. */
export function DraftStatus({ draft }: { draft: Draft }) {
  const progress = draft.progress;
  const done = progress ? progress.ready + progress.failed : 0;
  return (
    <div className={`draft-status state-${draft.state}`} data-state={draft.state}>
      <p className="draft-state" role="status">
        {STATE_LABELS[draft.state]}
      </p>
      {progress && progress.total > 0 && (
        <div className="progress-row">
          <progress max={progress.total} value={done} aria-label="Images processed" />
          <span>
            {progress.ready} of {progress.total} images ready{progress.failed > 0 ? `, ${progress.failed} failed` : ''}
          </span>
        </div>
      )}
      {draft.problems.length > 0 && (
        <>
          <p>{draft.state === 'rejected' ? 'Fix these and upload the ZIP again:' : 'Problems:'}</p>
          <ul className="problems">
            {draft.problems.map((problem, index) => (
              <li key={index}>
                {(problem.file || problem.field) && (
                  <code>{[problem.file, problem.field].filter(Boolean).join(' · ')}</code>
                )}{' '}
                {problem.message}
              </li>
            ))}
          </ul>
        </>
      )}
      {draft.warnings.length > 0 && (
        <>
          <p>Sanitising changed {draft.warnings.length === 1 ? 'this file' : `these ${draft.warnings.length} files`}; check that they still look right:</p>
          <ul className="warnings">
            {draft.warnings.map((warning) => (
              <li key={warning.file}>
                <code>{warning.file}</code> removed: {warning.removed.join('; ')}
              </li>
            ))}
          </ul>
        </>
      )}
      {draft.ignoredUploads.map((ignored, index) => (
        <p className="ignored-upload" role="note" key={index}>
          {ignored.message}
        </p>
      ))}
    </div>
  );
}

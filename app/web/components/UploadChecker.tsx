'use client';
/** Pick a ZIP, see every problem the upload would be rejected for, before uploading it. */
import { useState } from 'react';
import { checkUploadZip, type UploadCheck } from '../lib/check-upload.ts';

function where(problem: UploadCheck['problems'][number]): string | undefined {
  return problem.field ?? problem.file;
}

export function UploadChecker() {
  const [result, setResult] = useState<(UploadCheck & { name: string }) | null>(null);
  const [busy, setBusy] = useState(false);

  async function check(file: File | undefined) {
    if (!file) return;
    setBusy(true);
    try {
      setResult({ ...(await checkUploadZip(file)), name: file.name });
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="upload-checker">
      <label className="dropzone" htmlFor="check-archive">
        <strong>Choose a ZIP to check</strong>
        <span className="muted">Nothing is uploaded: the check runs in your browser.</span>
        <input id="check-archive" type="file" accept=".zip,application/zip" onChange={(event) => check(event.target.files?.[0])} />
      </label>
      {busy && <p role="status">Checking…</p>}
      {result && !busy && (
        <div className="draft-status" data-testid="check-result" data-ok={result.problems.length === 0 ? 'true' : 'false'}>
          {result.problems.length === 0 ? (
            <p className="draft-state success" role="status">
              {result.name} follows the upload format: {result.manifest?.product.title}, {result.manifest?.images.length} images. The server also
              checks each SVG when you upload it.
            </p>
          ) : (
            <>
              <p className="draft-state error" role="status">
                {result.name} would be rejected: {result.problems.length} {result.problems.length === 1 ? 'problem' : 'problems'}
              </p>
              <ul className="problems">
                {result.problems.map((problem, index) => (
                  <li key={index}>
                    {where(problem) && <code>{where(problem)}</code>} {problem.message}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
    </div>
  );
}

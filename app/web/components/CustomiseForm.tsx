'use client';
/**
 * Customise before downloading: colour (single-colour images), size 16–2048 px, stroke width (stroke-based
 * images), PNG or WebP. The API renders and validates; its exact reasons are shown next to the fields.
 */
import Link from 'next/link';
import { useState, type FormEvent } from 'react';
import { responses } from '../lib/api-types.ts';
import { apiRequest, ClientApiError } from '../lib/client-api.ts';

const HEX = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i;

export interface CustomiseFormProps {
  imageId: string;
  customisable: { colour: boolean; stroke: boolean };
}

export function CustomiseForm({ imageId, customisable }: CustomiseFormProps) {
  const [colour, setColour] = useState('#1b1f2a');
  const [recolour, setRecolour] = useState(customisable.colour);
  const [message, setMessage] = useState<{ text: string; signIn?: boolean } | null>(null);
  const [issues, setIssues] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const stroke = String(form.get('strokeWidth') ?? '').trim();
    const body = {
      imageId,
      format: String(form.get('format')),
      size: Number(form.get('size')),
      ...(customisable.colour && recolour ? { colour } : {}),
      ...(customisable.stroke && stroke !== '' ? { strokeWidth: Number(stroke) } : {}),
    };
    setBusy(true);
    setMessage(null);
    setIssues({});
    try {
      const { url, fileName } = await apiRequest('POST', '/api/downloads/custom', responses.customDownload, body);
      setMessage({ text: `Downloading ${fileName}…` });
      window.location.assign(url);
    } catch (error) {
      if (error instanceof ClientApiError && error.status === 401) setMessage({ text: 'Sign in to download.', signIn: true });
      else if (error instanceof ClientApiError) {
        setIssues(error.fieldIssues);
        setMessage({ text: error.message });
      } else setMessage({ text: 'The download failed.' });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="customise" onSubmit={submit} aria-labelledby="customise-heading">
      <h2 id="customise-heading" style={{ gridColumn: '1 / -1', margin: 0 }}>
        Customise
      </h2>
      {customisable.colour && (
        <>
          <label htmlFor="custom-colour">Colour</label>
          <div className="colour-row">
            <input type="checkbox" aria-label="Recolour" checked={recolour} onChange={(e) => setRecolour(e.target.checked)} />
            <input id="custom-colour" type="color" value={colour} disabled={!recolour} onChange={(e) => setColour(e.target.value)} />
            <input
              type="text"
              aria-label="Colour (hex)"
              value={colour}
              disabled={!recolour}
              maxLength={7}
              aria-invalid={!HEX.test(colour) || undefined}
              onChange={(e) => setColour(e.target.value.trim())}
            />
          </div>
          {issues.colour && <p className="field-error" style={{ gridColumn: '1 / -1' }}>{issues.colour}</p>}
        </>
      )}
      <label htmlFor="custom-size">Size (px)</label>
      <input id="custom-size" name="size" type="number" min={16} max={2048} step={1} defaultValue={512} required />
      {issues.size && <p className="field-error" style={{ gridColumn: '1 / -1' }}>{issues.size}</p>}
      {customisable.stroke && (
        <>
          <label htmlFor="custom-stroke">Stroke width</label>
          <input id="custom-stroke" name="strokeWidth" type="number" min={0.25} max={16} step={0.25} placeholder="as drawn" />
          {issues.strokeWidth && <p className="field-error" style={{ gridColumn: '1 / -1' }}>{issues.strokeWidth}</p>}
        </>
      )}
      <label htmlFor="custom-format">Format</label>
      <select id="custom-format" name="format" defaultValue="png">
        <option value="png">PNG</option>
        <option value="webp">WebP</option>
      </select>
      <div className="actions-row">
        <button type="submit" className="button" disabled={busy}>
          Download customised
        </button>
        {message && (
          <span role="status" className="muted">
            {message.text} {message.signIn && <Link href="/signin">Sign in</Link>}
          </span>
        )}
      </div>
    </form>
  );
}

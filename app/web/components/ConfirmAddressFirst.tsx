'use client';
/**
 * Shown instead of the upload form to a contributor whose address is not confirmed yet: the API starts
 * uploads and publishes sets only for confirmed addresses (unconfirmed accounts cost nothing to make).
 * Offers a new link, as the account page does.
 */
import { useState } from 'react';
import { z } from 'zod';
import { apiRequest, ClientApiError } from '../lib/client-api.ts';

export function ConfirmAddressFirst({ email }: { email: string }) {
  const [note, setNote] = useState<string | null>(null);

  async function resend() {
    setNote(null);
    try {
      await apiRequest('POST', '/api/auth/verify-email/resend', z.object({ status: z.string() }));
      setNote('We sent a new link to your address.');
    } catch (error) {
      setNote(error instanceof ClientApiError ? error.message : 'Sending failed. Try again.');
    }
  }

  return (
    <div className="notice">
      <p>
        Confirm your e-mail address before you upload: open the link we mailed to <strong>{email}</strong>, then come back to this page.
      </p>
      <p>
        No mail?{' '}
        <button type="button" className="link-button" onClick={resend}>
          Send a new link
        </button>
      </p>
      {note && <p role="status">{note}</p>}
    </div>
  );
}

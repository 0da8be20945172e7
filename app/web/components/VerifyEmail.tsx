'use client';
/**
 * The page a verification mail links to. The token is sent with a POST from the page (not acted on by the
 * GET itself), so a mail scanner that fetches links does not use it; the API answers a used link as it did
 * the first time, so reloading or clicking twice is harmless.
 */
import Link from 'next/link';
import { useEffect, useState } from 'react';
import { z } from 'zod';
import { apiRequest, ClientApiError } from '../lib/client-api.ts';

type State = { kind: 'working' } | { kind: 'verified' } | { kind: 'failed'; message: string };

export function VerifyEmail() {
  const [state, setState] = useState<State>({ kind: 'working' });
  useEffect(() => {
    const token = new URLSearchParams(window.location.search).get('token') ?? '';
    apiRequest('POST', '/api/auth/verify-email', z.object({ status: z.literal('verified') }), { token })
      .then(() => setState({ kind: 'verified' }))
      .catch((error: unknown) =>
        setState({
          kind: 'failed',
          message: error instanceof ClientApiError && error.code !== 'validation_failed' ? error.message : 'This link is not complete. Open it from the mail again.',
        }),
      );
  }, []);

  if (state.kind === 'working') return <p role="status">Confirming…</p>;
  if (state.kind === 'verified') {
    return (
      <p role="status">
        Your address is confirmed. <Link href="/account">Go to your account</Link>
      </p>
    );
  }
  return (
    <p className="error" role="alert">
      {state.message}
    </p>
  );
}

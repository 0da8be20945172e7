'use client';
/**
 * The page a verification mail links to. The token is sent with a POST from the page (not acted on by the
 * GET itself), so a mail scanner that fetches links does not use it; the API answers a used link as it did
 * the first time, so reloading or clicking twice is harmless. A claim link (an address someone signed up
 * with before, never confirmed) works only with the password chosen at the sign-up it answers: the page
 * asks for it, so a link someone else's sign-up mailed here hands them nothing.
 */
import Link from 'next/link';
import { useEffect, useState, type FormEvent } from 'react';
import { z } from 'zod';
import { apiRequest, ClientApiError } from '../lib/client-api.ts';

type State =
  | { kind: 'working' }
  | { kind: 'verified' }
  | { kind: 'password'; message: string }
  | { kind: 'failed'; message: string };

const verified = z.object({ status: z.literal('verified') });

export function VerifyEmail() {
  const [state, setState] = useState<State>({ kind: 'working' });
  const [password, setPassword] = useState('');

  async function verify(body: { token: string; password?: string }) {
    try {
      await apiRequest('POST', '/api/auth/verify-email', verified, body);
      setState({ kind: 'verified' });
    } catch (error) {
      if (error instanceof ClientApiError && error.status === 401) setState({ kind: 'password', message: error.message });
      else {
        setState({
          kind: 'failed',
          message: error instanceof ClientApiError && error.code !== 'validation_failed' ? error.message : 'This link is not complete. Open it from the mail again.',
        });
      }
    }
  }

  const token = () => new URLSearchParams(window.location.search).get('token') ?? '';
  useEffect(() => {
    void verify({ token: token() });
  }, []);

  function submit(event: FormEvent) {
    event.preventDefault();
    setState({ kind: 'working' });
    void verify({ token: token(), password });
  }

  if (state.kind === 'working') return <p role="status">Confirming…</p>;
  if (state.kind === 'verified') {
    return (
      <p role="status">
        Your address is confirmed. <Link href="/account">Go to your account</Link>
      </p>
    );
  }
  if (state.kind === 'password') {
    return (
      <form onSubmit={submit}>
        <p role="status">{state.message}</p>
        <label>
          Password
          <input type="password" autoComplete="current-password" required value={password} onChange={(event) => setPassword(event.target.value)} />
        </label>
        <button type="submit" className="button">
          Confirm
        </button>
      </form>
    );
  }
  return (
    <p className="error" role="alert">
      {state.message}
    </p>
  );
}

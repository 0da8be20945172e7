'use client';
import Link from 'next/link';
import { useEffect, useState, type FormEvent } from 'react';
import { responses } from '../lib/api-types.ts';
import { apiRequest, ClientApiError } from '../lib/client-api.ts';
import { safeNextPath } from '../lib/safe-next.ts';

type Mode = 'signin' | 'signup';

function destinationFor(role: string): string {
  return role === 'contributor' ? '/dashboard' : '/';
}

export function AuthForm({ mode }: { mode: Mode }) {
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [role, setRole] = useState<'contributor' | 'buyer'>('contributor');
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  // Arriving from a download or a purchase (`?next=` or `?role=buyer`), a new account is a buyer's.
  const [next, setNext] = useState<string | null>(null);
  useEffect(() => {
    const params = new URLSearchParams(window.location.search);
    setNext(params.get('next'));
    if (params.get('role') === 'buyer' || params.get('next')) setRole('buyer');
  }, []);
  const carry = next?.startsWith('/') && !next.startsWith('//') ? `?next=${encodeURIComponent(next)}` : '';

  function go(role: string) {
    const next = safeNextPath(new URLSearchParams(window.location.search).get('next'), window.location.origin);
    window.location.assign(next ?? destinationFor(role));
  }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: string) => String(form.get(name) ?? '');
    setBusy(true);
    setError(null);
    setNotice(null);
    setFieldErrors({});
    try {
      const body =
        mode === 'signin'
          ? { email: text('email'), password: text('password') }
          : {
              email: text('email'),
              password: text('password'),
              displayName: text('displayName'),
              role,
              ...(role === 'contributor' ? { slug: text('slug') } : {}),
            };
      if (mode === 'signup') {
        // The reply is the same whether or not the address had an account (no enumeration), and carries no
        // session: a new account (unverified, but allowed in) then signs in with the password just chosen.
        await apiRequest('POST', '/api/auth/signup', responses.signedUp, body);
        const signedIn = await apiRequest('POST', '/api/auth/signin', responses.account, { email: body.email, password: body.password }).catch(
          (caught: unknown) => {
            if (caught instanceof ClientApiError && caught.code === 'invalid_credentials') return null;
            throw caught;
          },
        );
        if (!signedIn) {
          setNotice('Check your inbox: we sent a message to that address. If you already have an account, sign in instead.');
          return;
        }
        go(signedIn.account.role);
        return;
      }
      const { account } = await apiRequest('POST', '/api/auth/signin', responses.account, body);
      go(account.role);
    } catch (caught) {
      if (caught instanceof ClientApiError) {
        setError(caught.code === 'invalid_credentials' ? 'That e-mail and password do not match.' : caught.message);
        setFieldErrors(caught.fieldIssues);
      } else setError('Something went wrong. Try again.');
    } finally {
      setBusy(false);
    }
  }

  const field = (name: string, label: string, input: React.InputHTMLAttributes<HTMLInputElement>) => (
    <div className="field">
      <label htmlFor={name}>{label}</label>
      <input id={name} name={name} aria-invalid={fieldErrors[name] ? true : undefined} aria-describedby={fieldErrors[name] ? `${name}-error` : undefined} {...input} />
      {fieldErrors[name] && (
        <p id={`${name}-error`} className="field-error">
          {fieldErrors[name]}
        </p>
      )}
    </div>
  );

  return (
    <form className="auth-form" onSubmit={submit} noValidate>
      {mode === 'signup' && (
        <fieldset className="role-choice">
          <legend>I want to</legend>
          <label>
            <input type="radio" name="role" value="contributor" checked={role === 'contributor'} onChange={() => setRole('contributor')} /> sell my
            icons and illustrations
          </label>
          <label>
            <input type="radio" name="role" value="buyer" checked={role === 'buyer'} onChange={() => setRole('buyer')} /> download and buy
          </label>
        </fieldset>
      )}
      {mode === 'signup' && field('displayName', 'Your name', { autoComplete: 'name', required: true, maxLength: 80 })}
      {mode === 'signup' &&
        role === 'contributor' &&
        field('slug', 'Shop address (lower-case letters, digits, hyphens)', { required: true, maxLength: 64, pattern: '[a-z0-9]+(-[a-z0-9]+)*' })}
      {field('email', 'E-mail', { type: 'email', autoComplete: 'email', required: true })}
      {field('password', 'Password', {
        type: 'password',
        autoComplete: mode === 'signup' ? 'new-password' : 'current-password',
        required: true,
        minLength: mode === 'signup' ? 12 : undefined,
      })}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <button type="submit" className="button" disabled={busy}>
        {mode === 'signin' ? 'Sign in' : 'Create account'}
      </button>
      <p className="muted">
        {mode === 'signin' ? (
          <>
            New here? <Link href={`/signup${carry}`}>Create an account</Link>
          </>
        ) : (
          <>
            Have an account? <Link href={`/signin${carry}`}>Sign in</Link>
          </>
        )}
      </p>
    </form>
  );
}

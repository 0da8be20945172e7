'use client';
/**
 * The account page's security part: whether the address is confirmed (with a new link on request), a
 * password change that needs the current password (other sessions end, this one stays), and "sign out
 * everywhere" (every session ends, this one too).
 */
import { useEffect, useState, type FormEvent } from 'react';
import { z } from 'zod';
import { responses, type Account } from '../lib/api-types.ts';
import { apiRequest, ClientApiError } from '../lib/client-api.ts';

export function AccountSecurity() {
  const [account, setAccount] = useState<Account | null>(null);
  const [verifyNote, setVerifyNote] = useState<string | null>(null);
  const [passwordNote, setPasswordNote] = useState<{ ok: boolean; text: string } | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    apiRequest('GET', '/api/auth/me', responses.me)
      .then(({ account }) => setAccount(account))
      .catch(() => undefined);
  }, []);

  if (!account) return null;

  async function resend() {
    setVerifyNote(null);
    try {
      await apiRequest('POST', '/api/auth/verify-email/resend', z.object({ status: z.string() }));
      setVerifyNote('We sent a new link to your address.');
    } catch (error) {
      setVerifyNote(error instanceof ClientApiError ? error.message : 'Sending failed. Try again.');
    }
  }

  async function changePassword(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    setBusy(true);
    setPasswordNote(null);
    setFieldErrors({});
    try {
      await apiRequest('POST', '/api/auth/password', z.unknown(), {
        currentPassword: String(form.get('currentPassword') ?? ''),
        newPassword: String(form.get('newPassword') ?? ''),
      });
      formElement.reset();
      setPasswordNote({ ok: true, text: 'Password changed. Every other session was signed out.' });
    } catch (error) {
      if (error instanceof ClientApiError) {
        setFieldErrors(error.code === 'invalid_credentials' ? { currentPassword: 'This is not your current password.' } : error.fieldIssues);
        setPasswordNote({ ok: false, text: error.code === 'invalid_credentials' ? 'The current password is wrong.' : error.message });
      } else setPasswordNote({ ok: false, text: 'Something went wrong. Try again.' });
    } finally {
      setBusy(false);
    }
  }

  async function signOutEverywhere() {
    await apiRequest('POST', '/api/auth/signout-everywhere', z.unknown()).catch(() => undefined);
    window.location.assign('/signin');
  }

  const passwordField = (name: string, label: string, autoComplete: string) => (
    <div className="field">
      <label htmlFor={name}>{label}</label>
      <input
        id={name}
        name={name}
        type="password"
        autoComplete={autoComplete}
        required
        aria-invalid={fieldErrors[name] ? true : undefined}
        aria-describedby={fieldErrors[name] ? `${name}-error` : undefined}
      />
      {fieldErrors[name] && (
        <p id={`${name}-error`} className="field-error">
          {fieldErrors[name]}
        </p>
      )}
    </div>
  );

  return (
    <section aria-labelledby="security-heading">
      <h2 id="security-heading">Sign-in and security</h2>
      <p>
        E-mail: <strong>{account.email}</strong>{' '}
        {account.emailVerified ? (
          <span className="price-free">(confirmed)</span>
        ) : (
          <>
            <span className="muted">(not confirmed yet: uploads, publishing and payouts need a confirmed address)</span>{' '}
            <button type="button" className="link-button" onClick={resend}>
              Send a new link
            </button>
          </>
        )}
      </p>
      {verifyNote && <p role="status">{verifyNote}</p>}
      <form className="auth-form" onSubmit={changePassword} noValidate aria-labelledby="password-heading">
        <h3 id="password-heading">Change password</h3>
        {passwordField('currentPassword', 'Current password', 'current-password')}
        {passwordField('newPassword', 'New password (12 characters or more)', 'new-password')}
        {passwordNote && (
          <p className={passwordNote.ok ? 'notice' : 'error'} role={passwordNote.ok ? 'status' : 'alert'}>
            {passwordNote.text}
          </p>
        )}
        <button type="submit" className="button" disabled={busy}>
          Change password
        </button>
      </form>
      <h3>Sessions</h3>
      <p className="muted">Lost a device, or signed in somewhere you should not have? This ends every session, this one too.</p>
      <button type="button" className="button button-secondary" onClick={signOutEverywhere}>
        Sign out everywhere
      </button>
    </section>
  );
}

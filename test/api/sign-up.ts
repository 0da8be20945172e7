/**
 * Sign-up no longer signs in (issue 14: its reply must not say whether the address had an account), so a
 * test that needs a fresh account signs up, then signs in with the same password: unverified accounts may.
 * Uploading and publishing need a verified address (review finding 10): `verifyWith` verifies it through
 * `POST /api/auth/verify-email`, with a link token minted as sign-up mints the one it mails (for apps run
 * without a mail sender; tests with the SES stand-in follow the mailed link instead).
 */
import { expect } from 'chai';
import type { Kysely } from 'kysely';
import { createEmailVerification } from '../../app/api/auth/email-verification.ts';
import { apiDb } from '../../app/api/tables.ts';
import type { Database } from '../../core/catalog/index.ts';
import type { ApiClient, ApiResponse } from './client.ts';

export interface SignUpBody {
  email: string;
  password: string;
  displayName: string;
  role: 'buyer' | 'contributor';
  slug?: string;
}

/** Signs the client up and in; answers the sign-in reply (`{ account }`, its cookie kept by the client). */
export async function signUpAndIn(client: ApiClient, body: SignUpBody, options: { verifyWith?: Kysely<Database> } = {}): Promise<ApiResponse> {
  const signUp = await client.post('/api/auth/signup', body);
  expect(signUp.status, JSON.stringify(signUp.json)).to.equal(202);
  const signIn = await client.post('/api/auth/signin', { email: body.email, password: body.password });
  expect(signIn.status, JSON.stringify(signIn.json)).to.equal(200);
  if (options.verifyWith) {
    const token = await createEmailVerification(apiDb(options.verifyWith), signIn.json.account);
    const verified = await client.post('/api/auth/verify-email', { token });
    expect(verified.status, JSON.stringify(verified.json)).to.equal(200);
    signIn.json.account.emailVerified = true;
  }
  return signIn;
}

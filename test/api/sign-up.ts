/**
 * Sign-up no longer signs in (issue 14: its reply must not say whether the address had an account), so a
 * test that needs a fresh account signs up, then signs in with the same password: unverified accounts may.
 */
import { expect } from 'chai';
import type { ApiClient, ApiResponse } from './client.ts';

export interface SignUpBody {
  email: string;
  password: string;
  displayName: string;
  role: 'buyer' | 'contributor';
  slug?: string;
}

/** Signs the client up and in; answers the sign-in reply (`{ account }`, its cookie kept by the client). */
export async function signUpAndIn(client: ApiClient, body: SignUpBody): Promise<ApiResponse> {
  const signUp = await client.post('/api/auth/signup', body);
  expect(signUp.status, JSON.stringify(signUp.json)).to.equal(202);
  const signIn = await client.post('/api/auth/signin', { email: body.email, password: body.password });
  expect(signIn.status, JSON.stringify(signIn.json)).to.equal(200);
  return signIn;
}

import { hash, verify } from '@node-rs/argon2';

/** `Algorithm.Argon2id`: a const enum, which `verbatimModuleSyntax` cannot import. */
const ARGON2ID = 2;

/**
 * argon2id with the OWASP baseline (19 MiB, 2 passes, 1 lane): memory-hard, so guessing on GPUs is
 * expensive. The parameters travel inside the hash, so raising them later still verifies old hashes.
 */
const ARGON2_OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    // A malformed stored hash is a failed sign-in, not a 500.
    return false;
  }
}

/**
 * A real hash of nothing anyone knows, verified when the e-mail is unknown, so a sign-in takes as
 * long whether or not the account exists (no account enumeration by timing).
 */
let decoyHash: Promise<string> | undefined;
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hashPassword(`decoy-${Math.random()}`);
  return decoyHash;
}

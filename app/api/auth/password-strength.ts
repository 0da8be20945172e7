/**
 * Refuses passwords an attacker guesses early: zxcvbn-ts estimates guesses from common-password lists,
 * dictionaries, keyboard patterns, repeats and sequences, and what the user typed elsewhere (e-mail, name).
 * Length alone let `aaaaaaaaaaaa` through. Score 3 ("safely unguessable: moderate protection from offline
 * attacks", about 10^8 guesses) is the floor; argon2id makes each offline guess expensive on top of that.
 */
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as en from '@zxcvbn-ts/language-en';
import { ApiError } from '../http/errors.ts';

export const MIN_PASSWORD_SCORE = 3;
/** zxcvbn's matching grows with length; the first 100 characters decide (a strong prefix is a strong password). */
const CHECKED_LENGTH = 100;

let checker: ZxcvbnFactory | undefined;

/** Built on first use: loading the dictionaries takes a moment that API start-up should not pay. */
function zxcvbn(): ZxcvbnFactory {
  checker ??= new ZxcvbnFactory({
    translations: en.translations,
    graphs: common.adjacencyGraphs,
    dictionary: { ...common.dictionary, ...en.dictionary },
  });
  return checker;
}

/** Why the password is too weak (zxcvbn's own warning and suggestions), or undefined when it is strong enough. */
export function passwordWeakness(password: string, userInputs: string[] = []): string | undefined {
  const inputs = userInputs.flatMap((input) => [input, ...input.split(/[@.\s_-]+/)]).filter((word) => word.length >= 3);
  const result = zxcvbn().check(password.slice(0, CHECKED_LENGTH), inputs);
  if (result.score >= MIN_PASSWORD_SCORE) return undefined;
  const advice = [result.feedback.warning, ...result.feedback.suggestions].filter(Boolean).join(' ');
  return `is too easy to guess${advice ? `: ${advice}` : ''} Use a longer phrase of uncommon words.`;
}

/** A 400 naming the body field (`body.password`, `body.newPassword`) when the password is too weak. */
export function assertStrongPassword(field: string, password: string, userInputs: string[]): void {
  const weakness = passwordWeakness(password, userInputs);
  if (weakness) throw new ApiError(400, 'validation_failed', 'The request is not valid.', [{ path: `body.${field}`, message: weakness }]);
}

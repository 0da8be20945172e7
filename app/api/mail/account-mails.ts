/** The texts of the mails accounts receive. Links are built on the configured public origin, never a request's Host. */
import type { Mail } from './sender.ts';

export function verificationMail(to: string, displayName: string, link: string): Mail {
  return {
    to,
    subject: 'Confirm your e-mail address',
    text:
      `Hello ${displayName},\n\nConfirm that this address is yours by opening this link (it works for 48 hours):\n\n${link}\n\n` +
      `Until then you can sign in and shop, but not set up payouts.\n\nIf you did not sign up, ignore this mail: nothing happens without the link.\n`,
  };
}

/**
 * To an address whose account was never verified, when someone signs up with it again: the link makes the
 * account the mailbox owner's with the password typed at that sign-up (stored hashed with the link, never
 * mailed) and signs everyone else out of it.
 */
export function claimAccountMail(to: string, displayName: string, link: string): Mail {
  return {
    to,
    subject: 'Confirm your e-mail address to finish signing up',
    text:
      `Hello ${displayName},\n\nThis address already had an account, but nobody ever confirmed the address for it. ` +
      `If you just signed up, open this link (it works for 48 hours) and enter the password you just chose, to ` +
      `confirm the address and make the account yours:\n\n${link}\n\n` +
      `The link works only with that password: if you get more than one of these mails, each is for the sign-up ` +
      `that chose its password, and none of them gives the account to anyone who does not know it.\n\n` +
      `Anyone signed in to that account is signed out, and its name becomes yours.\n\n` +
      `If you did not just sign up, ignore this mail: nothing happens without the link.\n`,
  };
}

/** To the owner of an address that someone (maybe the owner) just tried to sign up with again. */
export function existingAccountMail(to: string, signInLink: string): Mail {
  return {
    to,
    subject: 'Someone tried to sign up with your address',
    text:
      `Someone tried to create a new account with this e-mail address, which already has one.\n\n` +
      `If it was you, sign in instead: ${signInLink}\n\nIf it was not you, nothing changed and you need do nothing; ` +
      `your password still works and nobody was told that this address has an account.\n`,
  };
}

export function passwordChangedMail(to: string, signInLink: string): Mail {
  return {
    to,
    subject: 'Your password was changed',
    text:
      `The password of your account was just changed, and every other session was signed out.\n\n` +
      `If that was you, nothing more to do; sign in with the new password at ${signInLink}.\n` +
      `If it was not you, someone has your session: contact support at once.\n`,
  };
}

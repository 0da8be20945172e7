import { parseCookie } from 'cookie';
import type { RequestHandler } from 'express';
import type { ApiDb } from '../tables.ts';
import type { SessionAccount } from './accounts.ts';
import { accountForToken, SESSION_COOKIE } from './sessions.ts';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The signed-in account, when the session cookie is valid. */
      account?: SessionAccount;
      sessionToken?: string;
    }
  }
}

/** Reads the session cookie, if any; requests without one cost no query. */
export function loadSession(db: ApiDb): RequestHandler {
  return async (req, _res, next) => {
    const header = req.headers.cookie;
    const token = header ? parseCookie(header)[SESSION_COOKIE] : undefined;
    if (token) {
      req.sessionToken = token;
      req.account = await accountForToken(db, token);
    }
    next();
  };
}

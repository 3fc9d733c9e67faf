// The sealing pages: /account/sealing (seal, keys, unseal) and /journal/unlock (open a sealed
// journal on this device). Both run Argon2id in the browser, so only they allow WebAssembly.
import { type RequestHandler, Router } from 'express';
import { loadTimeZone, requirePageAuth, signInState } from '../auth/middleware.js';
import { requireRecentSignIn } from '../auth/step-up.js';
import type { AppContext } from '../context.js';
import { safeNextPath } from '../http/safe-next.js';
import { journalState, loadJournalState } from '../journal/sealed.js';
import { hasPasskey, listKeys } from './keys.js';
import { remainingEntries } from './state.js';

/**
 * Adds 'wasm-unsafe-eval' to the CSP helmet already set on this response: hash-wasm compiles its
 * Argon2id from WebAssembly. Every other page keeps script-src 'self' alone.
 */
export function allowWasmEval(): RequestHandler {
  return function withWasmEval(_req, res, next) {
    const policy = res.getHeader('Content-Security-Policy');
    if (typeof policy === 'string' && !policy.includes("'wasm-unsafe-eval'")) {
      res.setHeader('Content-Security-Policy', policy.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'"));
    }
    next();
  };
}

export function sealingPageRoutes(ctx: AppContext): Router {
  const router = Router();
  const { db } = ctx;
  const signedIn = [requirePageAuth(ctx), loadTimeZone(ctx), loadJournalState(ctx), allowWasmEval()];

  /** The browser refuses the account's email (or its local part) as a journal passphrase. */
  async function accountEmail(userId: string): Promise<string> {
    const result = await db.query<{ email: string }>('SELECT email FROM users WHERE id = $1', [userId]);
    return result.rows[0]?.email ?? '';
  }

  router.get('/account/sealing', ...signedIn, requireRecentSignIn(ctx), async function sealingPage(_req, res) {
    const { userId } = signInState(res);
    const state = await journalState(db, userId);
    const [keys, remaining, hasPrfPasskey, email] = await Promise.all([
      listKeys(db, userId),
      remainingEntries(db, userId, state),
      // Whether a passkey's authenticator does PRF is known only when the browser asks it; any passkey may.
      hasPasskey(db, userId),
      accountEmail(userId),
    ]);
    res.render('account/sealing', { title: 'Seal your journal', email, sealing: { state, keys, remaining, hasPrfPasskey } });
  });

  router.get('/journal/unlock', ...signedIn, async function unlockPage(req, res) {
    const next = safeNextPath(req.query.next);
    // An open journal has nothing to unlock.
    if (res.locals.journalState === 'open') return res.redirect(303, next);
    res.render('journal/unlock', { title: 'Open your journal', next, hasPasskey: await hasPasskey(db, signInState(res).userId) });
  });

  return router;
}

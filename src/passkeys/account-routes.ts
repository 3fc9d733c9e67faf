// The user's passkeys on /account: add one (the options as JSON, the browser's answer as a form
// post), rename and remove. Each needs a recent full sign-in (step-up, DESIGN §11).
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { Router } from 'express';
import { renderAccount } from '../account/page.js';
import { AUDIT, recordAudit } from '../audit.js';
import { findSignedInUser, requireApiAuth, requirePageAuth, signInState } from '../auth/middleware.js';
import { requireRecentSignIn } from '../auth/step-up.js';
import { auditEvent, describeDevice } from '../client.js';
import type { AppContext } from '../context.js';
import { AppError } from '../http/errors.js';
import { textFields } from '../http/forms.js';
import { countPasskey } from '../http/metrics.js';
import { isUuid } from '../uuid.js';
import { checkRegistration, MESSAGES, readResponse, registrationOptions } from './ceremonies.js';
import { spendChallenge, storeChallenge } from './challenges.js';
import { insertPasskey, listPasskeys, MAX_PASSKEYS, passkeyNameProblem, removePasskey, renamePasskey } from './credentials.js';
import { passkeyAdded } from './events.js';

const TOO_MANY = `An account can have at most ${MAX_PASSKEYS} passkeys. Remove one you no longer use first.`;
const NO_SUCH_PASSKEY = 'There is no such passkey on your account.';
const LAST_WAY_IN = 'This is the only way to sign in to your account: set a password or add another passkey before removing it.';

const JOURNAL_KEY =
  'This passkey opens your sealed journal, and only the recovery key would be left: add a passphrase or another passkey to the journal (Sealed journal, below) before removing it.';

export function passkeyAccountRoutes(ctx: AppContext): Router {
  const router = Router();
  const { db } = ctx;
  const recent = requireRecentSignIn(ctx);
  const page = requirePageAuth(ctx);

  router.post('/api/passkeys/add/options', requireApiAuth(ctx), recent, async (_req, res) => {
    const user = await findSignedInUser(ctx, res);
    const existing = await listPasskeys(db, user.id);
    if (existing.length >= MAX_PASSKEYS) throw new AppError(409, 'too_many_passkeys', TOO_MANY);
    const options = await registrationOptions(ctx, user, existing);
    await storeChallenge(db, 'add', options.challenge, { userId: user.id }, ctx.now());
    res.json(options);
  });

  router.post('/account/passkeys', page, recent, async (req, res) => {
    const auth = signInState(res);
    const form = textFields(req.body, ['name', 'response'] as const);
    const refuse = (status: number, message: string) => {
      countPasskey(ctx.metrics, 'refused');
      return renderAccount(ctx, res, status, { passkey: message });
    };
    const name = form.name.trim() === '' ? describeDevice(req.get('user-agent') ?? null) : form.name;
    const badName = passkeyNameProblem(name);
    if (badName) return refuse(400, badName);
    const read = readResponse<RegistrationResponseJSON>(form.response);
    if (read.kind !== 'ok') return refuse(400, read.message);
    const binding = await spendChallenge(db, 'add', read.challenge, ctx.now());
    if (binding?.userId !== auth.userId) return refuse(400, MESSAGES.expired);
    const checked = await checkRegistration(ctx, read.response, read.challenge);
    if (checked.kind !== 'ok') return refuse(400, checked.message);
    if ((await listPasskeys(db, auth.userId)).length >= MAX_PASSKEYS) return refuse(409, TOO_MANY);
    const passkey = await insertPasskey(db, auth.userId, { ...checked.passkey, name }, new Date(ctx.now()));
    if (!passkey) return refuse(409, 'This passkey is already on your account.');
    await passkeyAdded(ctx, req, auth.userId, passkey, auth.sid);
    countPasskey(ctx.metrics, 'added');
    req.flash('info', `Passkey "${passkey.name}" added. You can now sign in with it.`);
    res.redirect(303, '/account');
  });

  router.post('/account/passkeys/:id/rename', page, recent, async (req, res) => {
    const auth = signInState(res);
    const { name } = textFields(req.body, ['name'] as const);
    const id = req.params.id;
    const badName = passkeyNameProblem(name);
    if (badName) return renderAccount(ctx, res, 400, { passkey: badName });
    const renamed = isUuid(id) ? await renamePasskey(db, auth.userId, id, name) : undefined;
    if (!renamed) throw new AppError(404, 'not_found', NO_SUCH_PASSKEY);
    const event = { type: AUDIT.passkeyRenamed, userId: auth.userId, sessionId: auth.sid, detail: { name: renamed.name } };
    await recordAudit(db, ctx.logger, auditEvent(ctx, req, event));
    req.flash('info', `Passkey renamed to "${renamed.name}".`);
    res.redirect(303, '/account');
  });

  router.post('/account/passkeys/:id/remove', page, recent, async (req, res) => {
    const auth = signInState(res);
    const id = req.params.id;
    const removal = isUuid(id) ? await removePasskey(db, auth.userId, id) : { kind: 'not_found' as const };
    if (removal.kind === 'not_found') throw new AppError(404, 'not_found', NO_SUCH_PASSKEY);
    if (removal.kind === 'last_way_in') return renderAccount(ctx, res, 409, { passkey: LAST_WAY_IN });
    if (removal.kind === 'journal_key') return renderAccount(ctx, res, 409, { passkey: JOURNAL_KEY });
    const event = { type: AUDIT.passkeyRemoved, userId: auth.userId, sessionId: auth.sid, detail: { name: removal.passkey.name } };
    await recordAudit(db, ctx.logger, auditEvent(ctx, req, event));
    req.flash('info', `Passkey "${removal.passkey.name}" removed. It can no longer sign in.`);
    res.redirect(303, '/account');
  });

  return router;
}

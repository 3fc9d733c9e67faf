// The sealing JSON API (DESIGN §16): the wrapped keys, sealing and unsealing, and the batches that
// re-write a journal's entries from the browser. Key changes and seal/unseal need step-up (§11).
import { type Request, type Response, Router } from 'express';
import { requireApiAuth, signInState } from '../auth/middleware.js';
import { requireRecentSignIn } from '../auth/step-up.js';
import type { AppContext } from '../context.js';
import { AppError } from '../http/errors.js';
import { journalState } from '../journal/sealed.js';
import { newKeyFrom, plainBatchFrom, sealedBatchFrom } from './input.js';
import { addKey, listKeys, listWrappedKeys, MAX_KEYS, ownsPasskey, removeKey, touchKey } from './keys.js';
import { sealingPhotoRoutes } from './photo-routes.js';
import { remainingPhotos } from './photos.js';
import { applyBatch, finishUnsealing, pendingEntries, remainingEntries, startSealing, startUnsealing } from './state.js';

export const KEYS_NEEDED =
  'A sealed journal keeps its recovery key and at least one other way to open it (a passkey or a passphrase); add one first.';
const NO_KEY = 'There is no such key for your journal.';
const PENDING_DEFAULT = 50;
export const SEALING_BATCH_PATH = '/api/sealing/batch';
export const SEALING_BATCH_BODY_LIMIT = '16mb';
const PENDING_MAX = 200;

function limitOf(req: Request): number {
  const raw = req.query.limit;
  if (raw === undefined) return PENDING_DEFAULT;
  if (typeof raw !== 'string' || !/^[1-9]\d{0,3}$/.test(raw) || Number(raw) > PENDING_MAX) {
    throw new AppError(400, 'limit_invalid', `The limit is a whole number from 1 to ${PENDING_MAX}.`);
  }
  return Number(raw);
}

export function sealingApiRoutes(ctx: AppContext): Router {
  const router = Router();
  const { db } = ctx;
  const now = () => new Date(ctx.now());
  const userOf = (res: Response) => signInState(res).userId;
  const recent = requireRecentSignIn(ctx);

  router.use('/api/sealing', requireApiAuth(ctx));
  router.use(sealingPhotoRoutes(ctx));

  router.get('/api/sealing', async function sealingStatus(_req, res) {
    const userId = userOf(res);
    const state = await journalState(db, userId);
    const [remaining, photosRemaining, keys] = await Promise.all([
      remainingEntries(db, userId, state),
      remainingPhotos(db, userId, state),
      listKeys(db, userId),
    ]);
    res.json({ sealed: state !== 'open', state, remaining, photosRemaining, keys });
  });

  router.get('/api/sealing/wrapped', async function wrappedKeys(_req, res) {
    res.json({ keys: await listWrappedKeys(db, userOf(res)) });
  });

  router.post('/api/sealing/keys', recent, async function addWrappedKey(req, res) {
    const key = newKeyFrom(req.body);
    if (key.credentialId !== null && !(await ownsPasskey(db, userOf(res), key.credentialId))) {
      throw new AppError(400, 'credential_invalid', 'That passkey is not one of yours; add it to your account first.');
    }
    const id = await addKey(db, userOf(res), key, now());
    if (!id) throw new AppError(409, 'too_many_keys', `A journal keeps at most ${MAX_KEYS} keys; remove one you no longer use first.`);
    res.status(201).json({ id });
  });

  router.delete('/api/sealing/keys/:id', recent, async function deleteWrappedKey(req, res) {
    const removal = await db.transaction((tx) => removeKey(tx, userOf(res), String(req.params.id)));
    if (removal === 'not_found') throw new AppError(404, 'not_found', NO_KEY);
    if (removal === 'keys_needed') throw new AppError(409, 'keys_needed', KEYS_NEEDED);
    res.status(204).end();
  });

  router.post('/api/sealing/keys/:id/used', async function keyUsed(req, res) {
    if (!(await touchKey(db, userOf(res), String(req.params.id), now()))) throw new AppError(404, 'not_found', NO_KEY);
    res.status(204).end();
  });

  router.post('/api/sealing/seal', recent, async function seal(_req, res) {
    const userId = userOf(res);
    const change = await startSealing(db, userId);
    if (change.kind === 'keys_needed') throw new AppError(409, 'keys_needed', KEYS_NEEDED);
    res.json({ state: 'sealed', remaining: await remainingEntries(db, userId, 'sealed') });
  });

  router.post('/api/sealing/unseal', recent, async function unseal(_req, res) {
    const userId = userOf(res);
    const change = await startUnsealing(db, userId);
    if (change.kind !== 'done') throw new AppError(409, 'journal_open', 'Your journal is not sealed.');
    res.json({ state: change.state, remaining: await remainingEntries(db, userId, change.state) });
  });

  router.get('/api/sealing/pending', async function pending(req, res) {
    const userId = userOf(res);
    const state = await journalState(db, userId);
    const entries = await pendingEntries(db, userId, state, limitOf(req));
    // Nothing sealed left while unsealing (the editor re-wrote the last one): the journal opens now.
    if (state === 'unsealing' && entries.length === 0) await finishUnsealing(db, userId);
    res.json({ entries });
  });

  router.post(SEALING_BATCH_PATH, async function batch(req, res) {
    const userId = userOf(res);
    const state = await journalState(db, userId);
    if (state === 'open') throw new AppError(409, 'journal_open', 'Your journal is not sealed; there is nothing to re-write.');
    const writes = state === 'sealed' ? sealedBatchFrom(req.body) : plainBatchFrom(req.body);
    res.json(await applyBatch(db, userId, writes, state, now()));
  });

  return router;
}

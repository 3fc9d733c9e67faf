// Sealing or unsealing a journal's existing photos from the browser (DESIGN §16, §17), one photo at a
// time, resumable like the entries: GET /api/sealing/photos lists those still in the other form;
// POST /api/sealing/photos replaces one in place, with the browser's sealed copy (state sealed) or
// with the opened photo, which the server re-encodes as any open journal's (state unsealing).
import { Router } from 'express';
import { signInState } from '../auth/middleware.js';
import { createFairQueue } from '../auth/password-queue.js';
import type { AppContext } from '../context.js';
import { AppError } from '../http/errors.js';
import { processPhoto } from '../journal/photo-images.js';
import { photoMessages, photoReceiver, sealedPhoto } from '../journal/photo-routes.js';
import { journalState } from '../journal/sealed.js';
import { isUuid } from '../uuid.js';
import { pendingPhotos, remainingPhotos, replacePhoto } from './photos.js';
import { finishUnsealing } from './state.js';

const PENDING_PHOTOS_MAX = 50;
// Unsealing hands each photo to sharp again: one at a time per process (uploads keep their own two).
const REENCODE_LIMITS = { parallel: 1, maxWaiting: 20, maxPerAccount: 1 };

export function sealingPhotoRoutes(ctx: AppContext): Router {
  const router = Router();
  const { db, config } = ctx;
  const messages = photoMessages(config.photos.maxBytes, config.photos.quotaBytes);
  const reencoding = createFairQueue(REENCODE_LIMITS, {
    queueFull: 'Smriti is storing a great many photos right now. Please try again in a minute.',
    accountBusy: 'Your other photos are still being written back; this one can be sent once they are done.',
    accountBusyCode: 'uploads_busy',
  });
  const received = photoReceiver(config.photos.maxBytes, messages.tooLarge);

  router.get('/api/sealing/photos', async function photosToRewrite(req, res) {
    const userId = signInState(res).userId;
    const raw = req.query.limit;
    const limit = typeof raw === 'string' && /^[1-9]\d{0,1}$/.test(raw) ? Math.min(Number(raw), PENDING_PHOTOS_MAX) : 10;
    const state = await journalState(db, userId);
    res.json({ photos: await pendingPhotos(db, userId, state, limit), remaining: await remainingPhotos(db, userId, state) });
  });

  router.post('/api/sealing/photos', async function rewritePhoto(req, res) {
    const userId = signInState(res).userId;
    const files = await received(req, res);
    const state = await journalState(db, userId);
    if (state === 'open') throw new AppError(409, 'journal_open', 'Your journal is not sealed; there is nothing to re-write.');
    const display = files.photo?.[0];
    const id = typeof req.body?.id === 'string' ? req.body.id.toLowerCase() : '';
    if (!display || !isUuid(id)) throw new AppError(400, 'photo_missing', 'Send the photo in the field "photo", with its "id".');
    const photo =
      state === 'sealed' ? sealedPhoto(req.body, display, files.thumb?.[0]) : await reencoding(userId, () => openedPhoto(display.buffer));
    const result = await replacePhoto(db, userId, id, photo, state === 'sealed', config.photos.quotaBytes);
    if (result === 'not_found') throw new AppError(404, 'not_found', 'There is no such photo in your journal.');
    if (result === 'over_quota') throw new AppError(413, 'photo_quota', messages.overQuota);
    // The last sealed photo (and no sealed entry) left: the journal is open now.
    const now = state === 'unsealing' ? await finishUnsealing(db, userId) : state;
    res.json({ id, rewritten: result === 'replaced', state: now, remaining: await remainingPhotos(db, userId, now) });
  });

  async function openedPhoto(bytes: Buffer) {
    const processed = await processPhoto(bytes);
    if (processed.kind === 'unreadable') throw new AppError(415, 'photo_unreadable', messages.unreadable);
    if (processed.kind === 'too_many_pixels') throw new AppError(413, 'photo_too_large', messages.tooManyPixels);
    return processed.photo;
  }

  return router;
}

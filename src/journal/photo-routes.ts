// Photos over HTTP: the upload (POST /api/photos), the photo itself (GET /photos/:id) and the
// Photos view (GET /journal/photos).
import { type Request, type Response, Router } from 'express';
import multer from 'multer';
import { loadTimeZone, requireApiAuth, requirePageAuth, signInState } from '../auth/middleware.js';
import { createFairQueue } from '../auth/password-queue.js';
import type { AppContext } from '../context.js';
import { AppError } from '../http/errors.js';
import { isUuid, timeOrderedUuid } from '../uuid.js';
import { DISPLAY_EDGE, type ProcessedPhoto, processPhoto, sniffImage } from './photo-images.js';
import { findPhotoBytes, insertPhoto, ownsLiveEntry, pageOfPhotos } from './photos.js';
import { JOURNAL_OPEN, JOURNAL_SEALED, journalState, loadJournalState } from './sealed.js';

// multipart's boundaries and headers around the file.
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;
// Two photos at once per process (each decoded on one core), one of them per account, and three
// per account running or waiting: one writer's many uploads wait their turn behind everyone else's.
const UPLOAD_LIMITS = { parallel: 2, maxWaiting: 20, maxPerAccount: 3 };
const PHOTO_NOT_FOUND = 'There is no such photo in your journal.';
// A 12-byte IV and a 16-byte tag: the least an AES-GCM ciphertext made in the browser can be.
const MIN_SEALED_BYTES = 28;
export const SEALED_TYPE = 'application/octet-stream';
const SEALED_INVALID =
  'A sealed photo is sent as its display size ("photo") and thumbnail ("thumb"), both encrypted, with its "id", "width" and "height".';

export type UploadFiles = { photo?: Express.Multer.File[]; thumb?: Express.Multer.File[] };

/**
 * Reads an upload's "photo" and "thumb" files and its fields into memory, within `maxBytes` a file,
 * once it is the account's turn; a bad upload is a 4xx in words.
 */
export function photoReceiver(maxBytes: number, tooLarge: string): (req: Request, res: Response) => Promise<UploadFiles> {
  const receive = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: maxBytes, files: 2, fields: 6, parts: 8 },
  }).fields([
    { name: 'photo', maxCount: 1 },
    { name: 'thumb', maxCount: 1 },
  ]);
  return (req, res) =>
    new Promise((resolve, reject) => {
      receive(req, res, (error: unknown) => {
        if (!error) return resolve((req.files ?? {}) as UploadFiles);
        if (error instanceof multer.MulterError && error.code === 'LIMIT_FILE_SIZE') {
          // The rest of the body is not read: the connection cannot carry another request.
          res.set('Connection', 'close');
          return reject(new AppError(413, 'photo_too_large', tooLarge));
        }
        reject(new AppError(400, 'upload_invalid', 'The upload could not be read. Send the photo in the field "photo".'));
      });
    });
}

const megabytes = (bytes: number) => (bytes >= 1024 ** 2 ? `${Math.round(bytes / 1024 ** 2)} MB` : `${Math.round(bytes / 1024)} KB`);
const gigabytes = (bytes: number) => (bytes >= 1024 ** 3 ? `${Math.round((bytes / 1024 ** 3) * 10) / 10} GB` : megabytes(bytes));

export const photoMessages = (maxBytes: number, quotaBytes: number) => ({
  tooLarge: `The photo is larger than the ${megabytes(maxBytes)} limit; export a smaller copy and try again.`,
  overQuota: `Your photos have reached the ${gigabytes(quotaBytes)} an account can hold. Delete entries with photos you no longer need (and empty the trash), then try again.`,
  heic: 'This is a HEIC photo, which browsers cannot show: export it as JPEG (on an iPhone, share it to Files, or set Camera → Formats → Most Compatible) and try again.',
  notImage: 'Smriti takes JPEG, PNG, WebP, GIF and AVIF photos; this file is none of those.',
  unreadable: 'The photo could not be read: the file is damaged or not a picture. Try exporting it again.',
  tooManyPixels: 'The photo has more than 100 megapixels; export a smaller copy and try again.',
});

export function photoRoutes(ctx: AppContext): Router {
  const router = Router();
  const { db, config } = ctx;
  const messages = photoMessages(config.photos.maxBytes, config.photos.quotaBytes);
  const uploads = createFairQueue(UPLOAD_LIMITS, {
    queueFull: 'Smriti is storing a great many photos right now. Please try again in a minute.',
    accountBusy: 'Your other photos are still uploading; this one can be sent once they are done.',
    accountBusyCode: 'uploads_busy',
  });
  const received = photoReceiver(config.photos.maxBytes, messages.tooLarge);

  router.post('/api/photos', requireApiAuth(ctx), async (req, res) => {
    const { userId } = signInState(res);
    const declared = Number(req.get('content-length'));
    if (Number.isFinite(declared) && declared > config.photos.maxBytes + MULTIPART_OVERHEAD_BYTES) {
      res.set('Connection', 'close');
      throw new AppError(413, 'photo_too_large', messages.tooLarge);
    }
    const stored = await uploads(userId, () => storeUpload(req, res, userId));
    res.status(201).json(stored);
  });

  async function storeUpload(req: Request, res: Response, userId: string) {
    const files = await received(req, res);
    const file = files.photo?.[0];
    if (!file) throw new AppError(400, 'photo_missing', 'Choose a photo to upload, in the field "photo".');
    // A sealed journal's photos are encrypted in the browser; an open journal's are read here.
    const sealedUpload = req.body?.sealed === '1';
    const state = await journalState(db, userId);
    if (sealedUpload && state === 'open') throw new AppError(409, 'journal_open', JOURNAL_OPEN);
    if (!sealedUpload && state === 'sealed') throw new AppError(409, 'journal_sealed', JOURNAL_SEALED);
    const entryId = typeof req.body?.entry_id === 'string' && req.body.entry_id !== '' ? req.body.entry_id.toLowerCase() : null;
    const photo = sealedUpload ? sealedPhoto(req.body, file, files.thumb?.[0]) : await readPhoto(file);
    if (entryId && !(await ownsLiveEntry(db, userId, entryId)))
      throw new AppError(404, 'not_found', 'There is no such entry in your journal.');
    const at = new Date(ctx.now());
    const id = sealedUpload ? (req.body.id as string).toLowerCase() : timeOrderedUuid(at.getTime());
    const result = await insertPhoto(db, userId, { id, entryId, photo, at, sealed: sealedUpload }, config.photos.quotaBytes);
    if (result === 'exists') throw new AppError(409, 'photo_exists', 'A photo with this id is already in your journal. Nothing was saved.');
    if (result !== 'stored') throw new AppError(413, 'photo_quota', messages.overQuota);
    const { width, height, display, thumb } = photo;
    return { id, url: `/photos/${id}`, width, height, bytes: display.length + thumb.length };
  }

  /** An open journal's photo: checked, turned upright, stripped and resized by sharp. */
  async function readPhoto(file: Express.Multer.File): Promise<ProcessedPhoto> {
    const sniffed = sniffImage(file.buffer);
    if (sniffed.kind === 'heic') throw new AppError(415, 'photo_heic', messages.heic);
    if (sniffed.kind === 'other') throw new AppError(415, 'photo_type', messages.notImage);
    const processed = await processPhoto(file.buffer);
    if (processed.kind === 'unreadable') throw new AppError(415, 'photo_unreadable', messages.unreadable);
    if (processed.kind === 'too_many_pixels') throw new AppError(413, 'photo_too_large', messages.tooManyPixels);
    return processed.photo;
  }

  router.get('/photos/:id', requirePageAuth(ctx), async (req, res) => {
    const auth = signInState(res);
    const size = req.query.size === 'thumb' ? 'thumb' : 'display';
    const photo = await findPhotoBytes(db, auth.userId, req.params.id as string, size);
    if (!photo) throw new AppError(404, 'not_found', PHOTO_NOT_FOUND);
    // A sealed photo is ciphertext the page opens with the journal key: nothing for a cache to keep.
    if (photo.sealed) return res.set('Cache-Control', 'no-store').type(SEALED_TYPE).send(photo.bytes);
    // A photo never changes under its id: the browser may keep it, but only for this person, and
    // not at all on a shared computer. Signing out clears it (Clear-Site-Data: "cache").
    res.set('Cache-Control', auth.shared ? 'no-store' : 'private, max-age=604800, immutable');
    res.type(photo.contentType).send(photo.bytes);
  });

  router.get('/journal/photos', requirePageAuth(ctx), loadTimeZone(ctx), loadJournalState(ctx), async (req, res) => {
    const raw = req.query.page;
    const page = typeof raw === 'string' && /^[1-9]\d{0,5}$/.test(raw) ? Number(raw) : 1;
    const { photos, more } = await pageOfPhotos(db, signInState(res).userId, page);
    const months: { month: string; photos: typeof photos }[] = [];
    for (const photo of photos) {
      const month = photo.entryDate.slice(0, 7);
      if (months.at(-1)?.month !== month) months.push({ month, photos: [] });
      months.at(-1)!.photos.push(photo);
    }
    res.render('photos/index', { title: 'Photos', months, page, more });
  });

  return router;
}

/**
 * A sealed journal's photo: two ciphertexts made in the browser (its additional data names the
 * user, the id and the size, so the id is the browser's), kept as given; sharp never sees them.
 */
export function sealedPhoto(
  body: Record<string, unknown>,
  display: Express.Multer.File,
  thumb: Express.Multer.File | undefined,
): ProcessedPhoto {
  const id = typeof body.id === 'string' ? body.id.toLowerCase() : '';
  const edge = (value: unknown) =>
    typeof value === 'string' && /^[1-9]\d{0,4}$/.test(value) && Number(value) <= DISPLAY_EDGE ? Number(value) : 0;
  const width = edge(body.width);
  const height = edge(body.height);
  if (!isUuid(id) || !thumb || !width || !height || display.size < MIN_SEALED_BYTES || thumb.size < MIN_SEALED_BYTES)
    throw new AppError(400, 'photo_sealed_invalid', SEALED_INVALID);
  return { contentType: SEALED_TYPE, width, height, display: display.buffer, thumb: thumb.buffer, thumbType: SEALED_TYPE };
}

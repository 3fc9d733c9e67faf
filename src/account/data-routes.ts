// The user's data on the account page: export (JSON or Markdown), import, and deleting the account.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Request, type RequestHandler, type Response, Router } from 'express';
import multer from 'multer';
import { AUDIT, logAudit } from '../audit.js';
import { clearAuthCookies } from '../auth/cookies.js';
import { findSignedInUser, signInState } from '../auth/middleware.js';
import { checkCurrentPassword, limitedAnswer } from '../auth/password-checks.js';
import { clientInfo } from '../client.js';
import type { AppContext } from '../context.js';
import { STATEMENT_TIMEOUTS, withStatementTimeout } from '../db/db.js';
import { AppError } from '../http/errors.js';
import { textFields } from '../http/forms.js';
import { insertImportedEntries } from '../journal/entries-bulk.js';
import { photoMessages } from '../journal/photo-routes.js';
import { insertSealedEntries, type JournalState, journalState } from '../journal/sealed.js';
import { localDay } from '../time-zone.js';
import { deleteAccount } from './delete-account.js';
import { EXPORT_TYPES, type ExportKind, exportFileName, jsonExport, markdownExport, openEntryPages } from './export.js';
import { describeProblems, IMPORT_MAX_BYTES, parseExportFile } from './import.js';
import { admitImport, createImportGate } from './import-claims.js';
import { renderAccount } from './page.js';
import { readSealedBackup, type SealedBackupRead, sealedBackup, sealedBackupName } from './sealed-backup.js';
import { sendZipExport } from './zip-export.js';
import { importSentence, isZip, OverQuota, readZipImport, storeZipImport, ZIP_IMPORT_MAX_BYTES } from './zip-import.js';

const receiveFile = multer({
  storage: multer.memoryStorage(),
  // A zip may carry photos; any other file is held to IMPORT_MAX_BYTES once read.
  limits: { fileSize: ZIP_IMPORT_MAX_BYTES, files: 1, fields: 5, parts: 6 },
}).single('file');

/** The uploaded file, undefined when none was sent; a broken or oversized upload is a 400 or 413. */
function uploadedFile(req: Request, res: Response): Promise<Express.Multer.File | undefined> {
  return new Promise((resolve, reject) => {
    receiveFile(req, res, (error: unknown) => {
      if (!error) return resolve(req.file);
      if (error instanceof multer.MulterError && error.code === 'LIMIT_FILE_SIZE') {
        return reject(new AppError(413, 'file_too_large', ZIP_TOO_LARGE));
      }
      const which =
        error instanceof multer.MulterError && error.code === 'LIMIT_UNEXPECTED_FILE' ? ' Send one file, in the field "file".' : '';
      // Anything else is a malformed upload (busboy's parse errors): the sender's fault, never a 500.
      reject(new AppError(400, 'upload_invalid', `Nothing was imported: the upload could not be read.${which}`));
    });
  });
}

const TOO_LARGE = 'Nothing was imported: the file is larger than the 20 MB limit.';
const ZIP_TOO_LARGE = `Nothing was imported: the file is larger than the limit (20 MB, or ${ZIP_IMPORT_MAX_BYTES / 1024 ** 2} MB for a zip with photos).`;

const PLAIN_INTO_SEALED =
  'Nothing was imported: your journal is sealed, so the server takes only a sealed backup of it. Import this file from your browser, which seals each entry.';
const SEALED_INTO_OPEN =
  'Nothing was imported: this is a sealed backup, and your journal is not sealed. Seal it first, with the same keys.';

const ZIP_BUSY = 'Nothing was imported: Smriti is unpacking another zip right now. Please try again in a minute.';

const IMPORT_REFUSALS = {
  too_large: { status: 413, message: ZIP_TOO_LARGE },
  busy: { status: 503, message: 'Nothing was imported: Smriti is busy with other imports. Please try again in a minute.' },
  already_importing: {
    status: 409,
    message: 'Nothing was imported: another import into your journal is still running. Wait for it to finish, then try again.',
  },
} as const;

function exportKind(format: unknown): ExportKind {
  if (format === undefined || format === 'json') return 'json';
  if (format === 'markdown') return 'markdown';
  throw new AppError(400, 'format_invalid', 'The export format must be json, markdown or zip.');
}

/** `recent`: the step-up check every route here needs (see routes.ts). */
export function accountDataRoutes(ctx: AppContext, recent: RequestHandler): Router {
  const router = Router();
  const { config, db, logger } = ctx;

  router.get('/account/export', recent, async (req, res) => {
    if ((await journalState(db, signInState(res).userId)) !== 'open') return sendSealedBackup(req, res);
    if (req.query.format === 'zip') return sendZipExport(ctx, req, res);
    const kind = exportKind(req.query.format);
    const { userId } = signInState(res);
    const at = new Date(ctx.now());
    const pages = await openEntryPages(db, userId, kind === 'markdown' ? 'day' : 'written');
    res.set({
      'Content-Type': EXPORT_TYPES[kind].contentType,
      'Content-Disposition': `attachment; filename="${exportFileName(kind, at, res.locals.timeZone ?? 'UTC')}"`,
    });
    if (req.method === 'HEAD') return res.end();
    const text = kind === 'json' ? jsonExport(pages, at) : markdownExport(pages, at, res.locals.timeZone ?? 'UTC');
    try {
      await pipeline(Readable.from(text), res);
    } catch (error) {
      // The headers are gone: the download is cut off (pipeline destroys the socket; made sure of
      // here) rather than ended as if it were whole, so the client sees a failed download.
      if (!res.writableFinished && !req.destroyed) logger.error({ err: error, userId }, 'export failed midway');
      if (!res.destroyed) res.destroy();
    }
  });

  /** A sealed journal's server export: every format asked for gets the sealed backup (the browser makes the others). */
  async function sendSealedBackup(req: Request, res: Response) {
    const { userId } = signInState(res);
    const at = new Date(ctx.now());
    const pages = await openEntryPages(db, userId);
    res.set({
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Disposition': `attachment; filename="${sealedBackupName(localDay(at, res.locals.timeZone ?? 'UTC'))}"`,
    });
    if (req.method === 'HEAD') return res.end();
    try {
      await pipeline(Readable.from(sealedBackup(db, userId, pages, at)), res);
    } catch (error) {
      if (!res.writableFinished && !req.destroyed) logger.error({ err: error, userId }, 'sealed backup failed midway');
      if (!res.destroyed) res.destroy();
    }
  }

  const importGate = createImportGate();

  // A reload of the address a failed import or delete left in the bar leads back to its form.
  router.get('/account/import', (_req, res) => res.redirect(303, '/account#import'));
  router.get('/account/delete', (_req, res) => res.redirect(303, '/account#delete'));

  router.post('/account/import', recent, async (req, res) => {
    const { userId } = signInState(res);
    // Decided before the upload is read: a refused import costs neither memory nor a connection.
    const admission = await admitImport(db, importGate, req, userId, ctx.now(), ZIP_IMPORT_MAX_BYTES);
    if (admission.kind !== 'ok') {
      if (admission.kind !== 'too_large') res.set('Retry-After', '30');
      const { status, message } = IMPORT_REFUSALS[admission.kind];
      return renderAccount(ctx, res, status, { import: message });
    }
    // Released before the answer, so a next import sent right after this one's answer is admitted.
    let answer: () => Promise<void> | void;
    try {
      answer = await importUpload(req, res, userId);
    } finally {
      await admission.release();
    }
    await answer();
  });

  /** Reads, checks and stores the upload; returns the answer to send once the claim is released. */
  async function importUpload(req: Request, res: Response, userId: string): Promise<() => Promise<void> | void> {
    let file: Express.Multer.File | undefined;
    try {
      file = await uploadedFile(req, res);
    } catch (error) {
      if (error instanceof AppError) return () => renderAccount(ctx, res, error.status, { import: error.message });
      throw error;
    }
    if (!file)
      return () =>
        renderAccount(ctx, res, 400, { import: 'Choose a Smriti export file (.json or .md) or a Day One JSON export to import.' });
    const state = await journalState(db, userId);
    const backup = readSealedBackup(file.buffer, userId);
    if (state === 'sealed' || backup.kind !== 'not_a_backup') return importSealed(req, res, userId, state, backup);
    if (isZip(file.buffer)) return importZip(file.buffer, req, res, userId);
    if (file.size > IMPORT_MAX_BYTES) return () => renderAccount(ctx, res, 413, { import: TOO_LARGE });
    const parsed = parseExportFile(file.buffer, res.locals.timeZone);
    if (parsed.kind === 'invalid') return () => renderAccount(ctx, res, 400, { import: describeProblems(parsed.problems) });

    const { added, skipped } = await withStatementTimeout(db, STATEMENT_TIMEOUTS.import, (tx) =>
      insertImportedEntries(tx, userId, parsed.entries),
    );
    logger.info({ userId, added, skipped }, 'journal imported');
    const already = skipped ? ` ${skipped} ${skipped === 1 ? 'was' : 'were'} already in your journal and skipped.` : '';
    return () => {
      req.flash('info', `Imported ${added} ${added === 1 ? 'entry' : 'entries'}.${already}`);
      res.redirect(303, '/account');
    };
  }

  /** A sealed journal takes only its own sealed backup: plaintext files are imported from the browser, which seals them. */
  async function importSealed(
    req: Request,
    res: Response,
    userId: string,
    state: JournalState,
    backup: SealedBackupRead,
  ): Promise<() => Promise<void> | void> {
    if (backup.kind === 'refused') return () => renderAccount(ctx, res, 400, { import: backup.message });
    if (state !== 'sealed') return () => renderAccount(ctx, res, 409, { import: SEALED_INTO_OPEN });
    if (backup.kind === 'not_a_backup') return () => renderAccount(ctx, res, 409, { import: PLAIN_INTO_SEALED });
    const added = await withStatementTimeout(db, STATEMENT_TIMEOUTS.import, (tx) => insertSealedEntries(tx, userId, backup.entries));
    const skipped = backup.entries.length - added;
    logger.info({ userId, added, skipped }, 'sealed backup imported');
    const already = skipped ? ` ${skipped} ${skipped === 1 ? 'was' : 'were'} already in your journal and skipped.` : '';
    return () => {
      req.flash('info', `Imported ${added} sealed ${added === 1 ? 'entry' : 'entries'}.${already}`);
      res.redirect(303, '/account');
    };
  }

  /** A Smriti zip with photos, or Day One's zip: checked whole, then written in one transaction. */
  // Unpacking and re-encoding a zip holds it twice over in memory: one at a time per process.
  let zipsRunning = 0;

  async function importZip(bytes: Buffer, req: Request, res: Response, userId: string): Promise<() => Promise<void> | void> {
    if (zipsRunning > 0) {
      res.set('Retry-After', '60');
      return () => renderAccount(ctx, res, 503, { import: ZIP_BUSY });
    }
    zipsRunning += 1;
    try {
      return await importZipNow(bytes, req, res, userId);
    } finally {
      zipsRunning -= 1;
    }
  }

  async function importZipNow(bytes: Buffer, req: Request, res: Response, userId: string): Promise<() => Promise<void> | void> {
    const read = await readZipImport(bytes, config.photos.maxBytes);
    if (read.kind === 'refused') return () => renderAccount(ctx, res, 400, { import: read.message });
    const parsed = parseExportFile(read.journal, res.locals.timeZone);
    if (parsed.kind === 'invalid') return () => renderAccount(ctx, res, 400, { import: describeProblems(parsed.problems) });
    let stored: Awaited<ReturnType<typeof storeZipImport>>;
    try {
      stored = await withStatementTimeout(db, STATEMENT_TIMEOUTS.import, (tx) =>
        storeZipImport(tx, userId, parsed.entries, read.photos, config.photos.quotaBytes, new Date(ctx.now())),
      );
    } catch (error) {
      if (!(error instanceof OverQuota)) throw error;
      const quota = photoMessages(config.photos.maxBytes, config.photos.quotaBytes).overQuota;
      return () => renderAccount(ctx, res, 413, { import: `Nothing was imported: ${quota.charAt(0).toLowerCase()}${quota.slice(1)}` });
    }
    const { added, skipped, photosAdded } = stored;
    logger.info({ userId, added, skipped, photosAdded }, 'journal imported from a zip');
    return () => {
      req.flash('info', importSentence(added, skipped, photosAdded, read.leftOut));
      res.redirect(303, '/account');
    };
  }

  router.post('/account/delete', recent, async (req, res) => {
    const auth = signInState(res);
    const { current_password } = textFields(req.body, ['current_password'] as const);
    const user = await findSignedInUser(ctx, res);
    // An account made through a provider or with a passkey alone has no password: the recent sign-in (step-up) is the proof.
    const check = user.passwordHash === null ? { kind: 'ok' as const } : await checkCurrentPassword(ctx, req, user, current_password);
    if (check.kind === 'limited') throw limitedAnswer(res, check, ' Nothing was deleted.');
    if (check.kind === 'wrong') {
      return renderAccount(ctx, res, 400, { delete_password: 'That is not your current password. Nothing was deleted.' });
    }
    const at = new Date(ctx.now());
    const deleted = await db.transaction((tx) => deleteAccount(tx, user.id, user.email, at));
    // The account's audit rows are gone with it; the log keeps the event.
    logAudit(logger, { type: AUDIT.accountDeleted, userId: user.id, sessionId: auth.sid, ...clientInfo(req), at, detail: { ...deleted } });
    clearAuthCookies(res, config);
    res.redirect(303, '/login?flash=account_deleted');
  });

  return router;
}

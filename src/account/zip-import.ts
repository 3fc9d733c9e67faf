// Reading an uploaded zip: a Smriti export with photos (a .json or .md beside photos/) or Day One's
// zip export (Journal.json beside photos/). Everything is unpacked, checked and re-encoded before
// anything is written; a hostile zip is refused whole with a sentence.
import { createHash } from 'node:crypto';
import { type UnzipFileInfo, unzipSync } from 'fflate';
import type { Queryable } from '../db/db.js';
import { type ImportedEntry, insertImportedEntries } from '../journal/entries-bulk.js';
import { keepOrProcess, type ProcessedPhoto, type ProcessResult, processPhoto, sniffImage } from '../journal/photo-images.js';
import { attachImportedPhotos, insertPhoto } from '../journal/photos.js';
import { nameBasedUuid } from '../uuid.js';
import { isDayOneExport } from './day-one.js';
import { IMPORT_MAX_BYTES } from './import.js';

/** A zip may be larger than a journal file: it carries the photos. It is read in memory. */
export const ZIP_IMPORT_MAX_BYTES = 200 * 1024 * 1024;
// Unpacked, all files together: bounds what one import may hold in memory, whatever the headers say.
const UNPACKED_MAX_BYTES = 400 * 1024 * 1024;
const FILES_MAX = 10_000;
// Deflate packs real text about 10:1 and photos barely at all; far more than this is a bomb.
const RATIO_MAX = 100;

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const SMRITI_PHOTO_FILE = new RegExp(`^photos/(${UUID})\\.(jpg|jpeg|webp)$`, 'i');
const SMRITI_PHOTO_REF = new RegExp(`\\]\\(photos/(${UUID})\\.(?:jpg|jpeg|webp)\\)`, 'gi');
// Any fixed UUID works as the namespace; changing it would change every Day One photo's id.
const DAY_ONE_PHOTOS = '0f1d9c52-6a8e-4b3f-9d27-5c4e8a1b7f60';

export function isZip(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5);
}

export interface ZipPhoto {
  id: string;
  photo: ProcessedPhoto;
  /** What a Day One photo was matched by (its identifier); undefined for a Smriti photo. */
  source?: string;
}

export type ZipImport = { kind: 'ok'; journal: Buffer; photos: ZipPhoto[]; leftOut: string[] } | { kind: 'refused'; message: string };

const refused = (why: string): ZipImport => ({ kind: 'refused', message: `Nothing was imported: ${why}` });

type Unpacked = { kind: 'ok'; files: Map<string, Uint8Array> } | { kind: 'refused'; message: string };

/** A name that stays inside the folder it is unpacked in, written the way zips write names. */
function safeName(name: string): boolean {
  return !(
    name.startsWith('/') ||
    name.includes('\\') ||
    name.includes('\0') ||
    /^[a-zA-Z]:/.test(name) ||
    name.split('/').some((part) => part === '..' || part === '.')
  );
}

/** Unpacks within the bounds; the headers' sizes are enforced by fflate (it writes no byte past them). */
function unpack(bytes: Buffer, photoMaxBytes: number): Unpacked {
  let problem: string | undefined;
  let count = 0;
  let total = 0;
  const refuse = (why: string) => {
    problem = why;
    throw new Error(why);
  };
  const filter = (file: UnzipFileInfo) => {
    count += 1;
    if (count > FILES_MAX) refuse(`the zip holds more than ${FILES_MAX.toLocaleString('en')} files.`);
    if (!safeName(file.name)) refuse(`the zip names a file outside its own folder (${JSON.stringify(file.name.slice(0, 80))}).`);
    if (file.name.endsWith('/') || file.name.startsWith('__MACOSX/') || file.name.endsWith('.DS_Store')) return false;
    const limit = /\.(json|md)$/i.test(file.name) ? IMPORT_MAX_BYTES : photoMaxBytes;
    if (file.originalSize > limit) refuse(`${file.name.slice(0, 80)} is larger than ${Math.round(limit / 1024 ** 2)} MB when unpacked.`);
    if (file.originalSize > 1024 * 1024 && file.originalSize > file.size * RATIO_MAX)
      refuse(`${file.name.slice(0, 80)} unpacks to far more than it holds (a zip bomb?).`);
    total += file.originalSize;
    if (total > UNPACKED_MAX_BYTES) refuse(`the zip unpacks to more than ${UNPACKED_MAX_BYTES / 1024 ** 2} MB.`);
    return true;
  };
  try {
    const files = unzipSync(bytes, { filter });
    return { kind: 'ok', files: new Map(Object.entries(files)) };
  } catch {
    return {
      kind: 'refused',
      message: `Nothing was imported: ${problem ?? 'the zip is damaged or uses a kind of compression Smriti cannot read.'}`,
    };
  }
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * The journal file (its photo references pointing at /photos/<id>) and the photos, each checked and
 * re-encoded, or the one sentence that refuses the zip.
 */
export async function readZipImport(bytes: Buffer, photoMaxBytes: number): Promise<ZipImport> {
  const unpacked = unpack(bytes, photoMaxBytes);
  if (unpacked.kind === 'refused') return unpacked;
  const { files } = unpacked;
  const journals = [...files.keys()].filter((name) => !name.includes('/') && /\.(json|md)$/i.test(name));
  if (journals.length !== 1)
    return refused(
      journals.length === 0
        ? 'the zip holds no journal file (a .json or .md beside a photos/ folder).'
        : `the zip holds ${journals.length} journal files; export one journal at a time.`,
    );
  const journalBytes = Buffer.from(files.get(journals[0]!)!);
  let json: unknown;
  try {
    json = journals[0]!.endsWith('.json') ? JSON.parse(journalBytes.toString('utf8')) : undefined;
  } catch {
    json = undefined;
  }
  return isDayOneExport(json) ? dayOneZip(json as DayOneFile, files) : smritiZip(journalBytes, files);
}

async function processAll(
  items: { name: string; bytes: Uint8Array; id: string; source?: string }[],
  process: (b: Buffer) => Promise<ProcessResult>,
): Promise<{ kind: 'ok'; photos: ZipPhoto[] } | { kind: 'refused'; message: string }> {
  const photos: ZipPhoto[] = [];
  for (const item of items) {
    const buffer = Buffer.from(item.bytes);
    if (sniffImage(buffer).kind !== 'image') return refused(`${item.name.slice(0, 80)} is not a JPEG, PNG, WebP, GIF or AVIF image.`);
    const result = await process(buffer);
    if (result.kind !== 'ok') return refused(`${item.name.slice(0, 80)} could not be read as a picture.`);
    photos.push({ id: item.id, photo: result.photo, source: item.source });
  }
  return { kind: 'ok', photos };
}

async function smritiZip(journal: Buffer, files: Map<string, Uint8Array>): Promise<ZipImport> {
  const items: { name: string; bytes: Uint8Array; id: string }[] = [];
  let others = 0;
  for (const [name, bytes] of files) {
    const match = SMRITI_PHOTO_FILE.exec(name);
    if (match) items.push({ name, bytes, id: match[1]!.toLowerCase() });
    else if (name.includes('/')) others += 1;
  }
  const processed = await processAll(items, keepOrProcess);
  if (processed.kind === 'refused') return processed;
  const text = journal.toString('utf8').replace(SMRITI_PHOTO_REF, (_whole, id: string) => `](/photos/${id.toLowerCase()})`);
  const leftOut = others > 0 ? [`${plural(others, 'file')} that ${others === 1 ? 'is' : 'are'} not a photo`] : [];
  return { kind: 'ok', journal: Buffer.from(text), photos: processed.photos, leftOut };
}

interface DayOnePhoto {
  identifier?: unknown;
  md5?: unknown;
  type?: unknown;
}
interface DayOneEntry {
  text?: unknown;
  photos?: unknown;
  location?: unknown;
  weather?: unknown;
  videos?: unknown;
  audios?: unknown;
  pdfAttachments?: unknown;
}
interface DayOneFile {
  entries: DayOneEntry[];
}

/** What Smriti does not keep of a Day One journal, counted for the sentence after the import. */
function dayOneLeftOut(entries: DayOneEntry[], unmatched: number, heic: number): string[] {
  const count = (has: (e: DayOneEntry) => boolean) => entries.filter(has).length;
  const media = (e: DayOneEntry) => ['videos', 'audios', 'pdfAttachments'].some((k) => Array.isArray(e[k as keyof DayOneEntry]));
  const parts: [string, number][] = [
    ['location', count((e) => e.location !== undefined)],
    ['weather', count((e) => e.weather !== undefined)],
    ['videos, audio or PDFs', count(media)],
  ];
  const left = parts.filter(([, n]) => n > 0).map(([what, n]) => `${what} (${plural(n, 'entry', 'entries')})`);
  if (unmatched > 0) left.push(`${plural(unmatched, 'photo')} missing from the zip`);
  if (heic > 0)
    left.push(
      `${plural(heic, 'HEIC photo')} (export ${heic === 1 ? 'it' : 'them'} from Day One as JPEG to bring ${heic === 1 ? 'it' : 'them'} in)`,
    );
  return left;
}

/** Day One names a photo in the text as dayone-moment://<identifier>; its file is photos/<md5>.<type>. */
async function dayOneZip(file: DayOneFile, files: Map<string, Uint8Array>): Promise<ZipImport> {
  const items: { name: string; bytes: Uint8Array; id: string; source: string }[] = [];
  const idOf = new Map<string, string>();
  const byLowerName = new Map([...files.keys()].map((n) => [n.toLowerCase(), n]));
  let unmatched = 0;
  let heic = 0;
  for (const entry of file.entries) {
    for (const photo of (Array.isArray(entry.photos) ? entry.photos : []) as DayOnePhoto[]) {
      const { identifier, md5, type } = photo;
      if (typeof identifier !== 'string' || typeof md5 !== 'string' || !/^[0-9a-f]{32}$/i.test(md5)) continue;
      const name = byLowerName.get(`photos/${md5.toLowerCase()}.${String(type ?? 'jpeg').toLowerCase()}`);
      const bytes = name ? files.get(name) : undefined;
      if (!name || !bytes) {
        unmatched += 1;
        continue;
      }
      if (createHash('md5').update(bytes).digest('hex') !== md5.toLowerCase())
        return refused(`${name.slice(0, 80)} is not the photo Journal.json says it is (its md5 differs).`);
      // An iPhone's HEIC photo: browsers cannot show it, and Smriti cannot decode it to convert it.
      if (sniffImage(Buffer.from(bytes)).kind === 'heic') {
        heic += 1;
        continue;
      }
      const id = nameBasedUuid(DAY_ONE_PHOTOS, identifier);
      idOf.set(identifier, id);
      items.push({ name, bytes, id, source: `dayone:${identifier}` });
    }
  }
  // Every other photo file must be an image too: a zip is refused whole, never partly read.
  const named = new Set(items.map((i) => i.name));
  for (const [name, bytes] of files) {
    if (name.startsWith('photos/') && !named.has(name) && sniffImage(Buffer.from(bytes)).kind === 'other')
      return refused(`${name.slice(0, 80)} is not a JPEG, PNG, WebP, GIF or AVIF image.`);
  }
  const processed = await processAll(items, processPhoto);
  if (processed.kind === 'refused') return processed;
  const entries = file.entries.map((entry) =>
    typeof entry.text === 'string'
      ? {
          ...entry,
          text: entry.text.replace(/dayone-moment:\/\/([0-9A-Za-z-]+)/g, (whole, identifier: string) =>
            idOf.has(identifier) ? `/photos/${idOf.get(identifier)}` : whole,
          ),
        }
      : entry,
  );
  const journal = Buffer.from(JSON.stringify({ ...file, entries }));
  return { kind: 'ok', journal, photos: processed.photos, leftOut: dayOneLeftOut(file.entries, unmatched, heic) };
}

export class OverQuota extends Error {}

/**
 * Writes the entries and photos of a checked zip in the caller's transaction; photos already in the
 * account are skipped. Throws OverQuota (rolling the whole import back) past the account's quota.
 */
export async function storeZipImport(
  tx: Queryable,
  userId: string,
  entries: ImportedEntry[],
  photos: ZipPhoto[],
  quotaBytes: number,
  at: Date,
): Promise<{ added: number; skipped: number; photosAdded: number }> {
  const { added, skipped } = await insertImportedEntries(tx, userId, entries);
  let photosAdded = 0;
  for (const { id, photo, source } of photos) {
    const result = await insertPhoto(tx, userId, { id, entryId: null, photo, source, at }, quotaBytes);
    if (result === 'over_quota') throw new OverQuota();
    if (result === 'stored') photosAdded += 1;
  }
  await attachImportedPhotos(
    tx,
    userId,
    photos.map((p) => p.id),
  );
  return { added, skipped, photosAdded };
}

/** The flash after a zip import: what was added, what was already there, and what Smriti left out. */
export function importSentence(added: number, skipped: number, photos: number, leftOut: string[]): string {
  const already = skipped ? ` ${skipped} ${skipped === 1 ? 'was' : 'were'} already in your journal and skipped.` : '';
  const left = leftOut.length > 0 ? ` Left out, as Smriti does not keep them: ${leftOut.join(', ')}.` : '';
  return `Imported ${plural(added, 'entry', 'entries')} and ${plural(photos, 'photo')}.${already}${left}`;
}

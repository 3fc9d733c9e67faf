// What every import format shares: the checks each entry gets, and problems said the same way.
import { z } from 'zod';
import { checkEntry, isDay } from '../journal/entries.js';
import type { ImportedEntry } from '../journal/entries-bulk.js';
import { checkTimeZone, localDay } from '../time-zone.js';

// PostgreSQL's timestamptz and JavaScript's Date both hold years 1 to 9999 without surprises.
const MIN_DATE = Date.parse('0001-01-01T00:00:00Z');
const MAX_DATE = Date.parse('9999-12-31T23:59:59.999Z');

export const dateTime = z.iso
  .datetime({ offset: true, abort: true, error: 'must be a date and time such as 2024-05-01T09:30:00.000Z' })
  .refine((text) => {
    const time = Date.parse(text);
    return time >= MIN_DATE && time <= MAX_DATE;
  }, 'must be a date between the years 1 and 9999');

// JSON.parse spends seconds per million levels of nesting ("[[[[…"), however little the file holds,
// and blocks every other request meanwhile. Journals nest a few levels (Day One's places and photos
// under ten), so a deeper text is refused before it is parsed; the scan costs ~1% of an import.
const MAX_JSON_DEPTH = 64;

/** Whether JSON text opens more than MAX_JSON_DEPTH lists or objects inside each other. */
export function nestsTooDeep(json: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

export const TOO_DEEP = `The file nests lists or objects more than ${MAX_JSON_DEPTH} deep, which no journal does; choose the file Smriti or Day One exported.`;

export type ParsedImport = { kind: 'ok'; entries: ImportedEntry[] } | { kind: 'invalid'; problems: string[] };

export function describeIssue(path: ReadonlyArray<PropertyKey>, message: string): string {
  if (path.length === 0) return `The file ${message}`;
  const where = path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`)).join('');
  return `${where}: ${message}`;
}

/** One entry as any format gives it, before the checks every entry gets. */
export interface RawEntry {
  id: string | undefined;
  title: string;
  body: string;
  entryDate: string | undefined;
  tags: string[] | undefined;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
  starred?: boolean;
  /** The zone the entry was written in, when the file says (Day One does). */
  timeZone?: string;
}

function outOfRange(createdAt: Date, day: string, zone: string): string {
  return `written ${createdAt.toISOString()}, which is the day ${day} in ${zone}; a journal day must be between 0001-01-01 and 9999-12-31`;
}

/** The checks every imported entry gets, whatever the format; problems are collected, not thrown. */
export function checkRawEntries(raws: RawEntry[], timeZone: string): ParsedImport {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  const entries = raws.map((raw, index): ImportedEntry => {
    if (raw.id !== undefined) {
      const earlier = seen.get(raw.id);
      if (earlier !== undefined) problems.push(`entries[${index}].id: repeats the id of entries[${earlier}]`);
      seen.set(raw.id, index);
    }
    const checked = checkEntry({ title: raw.title, body: raw.body, tags: raw.tags ?? [] });
    if (checked.kind === 'invalid') {
      for (const [field, message] of Object.entries(checked.errors)) problems.push(`entries[${index}].${field}: ${message}`);
    }
    const content = checked.kind === 'valid' ? checked.entry : { title: raw.title, body: raw.body, tags: [] };
    const zone = checkTimeZone(raw.timeZone) ?? timeZone;
    const entryDate = raw.entryDate ?? localDay(raw.createdAt, zone);
    // A time in the first or last hours of the range can fall on a day outside it in the zone.
    if (!isDay(entryDate)) problems.push(`entries[${index}]: ${outOfRange(raw.createdAt, entryDate, zone)}`);
    return { ...raw, ...content, tags: content.tags ?? [], entryDate };
  });
  return problems.length > 0 ? { kind: 'invalid', problems } : { kind: 'ok', entries };
}

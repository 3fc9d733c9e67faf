// What every import format shares: the checks each entry gets, and problems said the same way.
import { z } from 'zod';
import { checkEntry } from '../journal/entries.js';
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
    const entryDate = raw.entryDate ?? localDay(raw.createdAt, checkTimeZone(raw.timeZone) ?? timeZone);
    return { ...raw, ...content, tags: content.tags ?? [], entryDate };
  });
  return problems.length > 0 ? { kind: 'invalid', problems } : { kind: 'ok', entries };
}

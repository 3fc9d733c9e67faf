// A Day One JSON export (Journal.json from its zip): entries[].text, creationDate, tags, uuid.
import { z } from 'zod';
import { TITLE_MAX_CHARS } from '../journal/entries.js';
import { uuidFromText } from '../journal/entries-bulk.js';
import { TAG_MAX_CHARS } from '../journal/tags.js';
import { checkRawEntries, dateTime, describeIssue, type ParsedImport, type RawEntry } from './import-checks.js';

const dayOneEntry = z.object({
  uuid: z.string({ error: 'must be text' }).optional(),
  text: z.string({ error: 'must be text' }).default(''),
  creationDate: dateTime,
  modifiedDate: dateTime.optional(),
  timeZone: z.string().optional(),
  starred: z.boolean({ error: 'must be true or false' }).optional(),
  tags: z.array(z.string({ error: 'must be text' }), { error: 'must be a list of words' }).optional(),
});

const dayOneExport = z.object({
  metadata: z.object({ version: z.string().optional() }).optional(),
  entries: z.array(dayOneEntry, { error: 'must be a list of entries' }),
});

/** Day One's files say {"metadata": {"version": …}, "entries": [{"text", "creationDate", …}]}. */
export function isDayOneExport(json: unknown): boolean {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return false;
  const file = json as Record<string, unknown>;
  return (
    file.format === undefined && (file.metadata !== undefined || (Array.isArray(file.entries) && 'creationDate' in (file.entries[0] ?? {})))
  );
}

/** Day One writes a heading first ("# Title") and escapes Markdown punctuation ("Hello\!"). */
function titleAndBody(text: string): { title: string; body: string } {
  const [first = '', ...rest] = text.split('\n');
  const heading = /^#{1,6}\s+(.*)$/.exec(first);
  const title = heading ? heading[1]!.replace(/\\([!-/:-@[-`{-~])/g, '$1').trim() : '';
  if (!heading || title.length > TITLE_MAX_CHARS) return { title: '', body: text };
  return { title, body: rest.join('\n').replace(/^\n+/, '') };
}

/** Day One tags may hold spaces and capitals ("Road trip"); a Smriti tag is one lowercase word. */
function asTag(tag: string): string {
  return tag
    .trim()
    .toLowerCase()
    .replace(/\s+/g, '-')
    .replace(/[^\p{L}\p{N}_-]/gu, '')
    .slice(0, TAG_MAX_CHARS);
}

/** Day One's uuid is 32 hex digits; written as a uuid it is the entry's id, so a second import skips it. */
function idOf(entry: z.infer<typeof dayOneEntry>): string {
  const hex = entry.uuid?.toLowerCase();
  if (hex && /^[0-9a-f]{32}$/.test(hex))
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return uuidFromText(`day one\0${entry.creationDate}\0${entry.text}`);
}

export function dayOneEntries(json: unknown, timeZone: string): ParsedImport {
  const shape = dayOneExport.safeParse(json);
  if (!shape.success) return { kind: 'invalid', problems: shape.error.issues.map((i) => describeIssue(i.path, i.message)) };
  const raws = shape.data.entries.map((entry): RawEntry => {
    const createdAt = new Date(entry.creationDate);
    return {
      id: idOf(entry),
      ...titleAndBody(entry.text),
      entryDate: undefined,
      tags: (entry.tags ?? []).map(asTag).filter(Boolean),
      createdAt,
      updatedAt: entry.modifiedDate ? new Date(entry.modifiedDate) : createdAt,
      deletedAt: null,
      timeZone: entry.timeZone,
      starred: entry.starred,
    };
  });
  return checkRawEntries(raws, timeZone);
}

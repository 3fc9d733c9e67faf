// A Day One JSON export (Journal.json from its zip): entries[].text, creationDate, tags, uuid.
import { z } from 'zod';
import { TITLE_MAX_CHARS } from '../journal/entries.js';
import { uuidFromText } from '../journal/entries-bulk.js';
import { TAG_MAX_CHARS } from '../journal/tags.js';
import { checkRawEntries, dateTime, describeIssue, type ParsedImport, type RawEntry } from './import-checks.js';

const dayOneEntry = z.object(
  {
    uuid: z.string({ error: 'must be text' }).optional(),
    text: z.string({ error: 'must be text' }).default(''),
    creationDate: dateTime,
    modifiedDate: dateTime.optional(),
    timeZone: z.string({ error: 'must be a time zone name such as Asia/Tokyo' }).optional(),
    starred: z.boolean({ error: 'must be true or false' }).optional(),
    tags: z.array(z.string({ error: 'must be text' }), { error: 'must be a list of words' }).optional(),
  },
  { error: 'must be an entry object' },
);

const dayOneExport = z.object({
  metadata: z.object({ version: z.string({ error: 'must be text' }).optional() }, { error: 'must be an object' }).optional(),
  entries: z.array(dayOneEntry, { error: 'must be a list of entries' }),
});

/** Day One's files say {"metadata": {"version": …}, "entries": [{"text", "creationDate", …}]}. */
export function isDayOneExport(json: unknown): boolean {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return false;
  const file = json as Record<string, unknown>;
  const first: unknown = Array.isArray(file.entries) ? file.entries[0] : undefined;
  const looksLikeDayOne = typeof first === 'object' && first !== null && 'creationDate' in first;
  return file.format === undefined && (file.metadata !== undefined || looksLikeDayOne);
}

// Longer first lines are a paragraph, not a title: the title is their start, and the body keeps them.
const TITLE_FROM_LINE_CHARS = Math.min(100, TITLE_MAX_CHARS);

/** Day One's escapes of Markdown punctuation ("great day\!", "340\.5 km"); any other backslash stays. */
export function unescapeDayOne(text: string): string {
  return text.replace(/\\([!-/:-@[-`{-~])/g, '$1');
}

/** The start of a long line, cut at a space where there is one: "An afternoon by the river, …". */
function shortened(line: string): string {
  const cut = line.slice(0, TITLE_FROM_LINE_CHARS - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > TITLE_FROM_LINE_CHARS / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/**
 * Day One's title is its first line, "# Title" or plain text; that line leaves the body. A line
 * too long for a title gives the title its start and stays in the body, so nothing is lost.
 */
export function dayOneTitleAndBody(text: string): { title: string; body: string } {
  const lines = unescapeDayOne(text).split(/\r?\n/);
  const index = lines.findIndex((line) => line.trim() !== '');
  if (index === -1) return { title: '', body: '' };
  const line = lines[index]!.trim();
  const title = (/^#{1,6}\s+(.*?)(?:\s+#+)?$/.exec(line)?.[1] ?? line).trim();
  const rest = lines
    .slice(index + 1)
    .join('\n')
    .replace(/^\s*\n/, '');
  if (title.length <= TITLE_FROM_LINE_CHARS) return { title, body: rest };
  return { title: shortened(title), body: lines.slice(index).join('\n') };
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
      ...dayOneTitleAndBody(entry.text),
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

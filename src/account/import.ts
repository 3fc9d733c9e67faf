// Reading an uploaded journal: a Smriti JSON or Markdown export, or a Day One JSON export. The
// whole file is checked before anything is written.
import { z } from 'zod';
import { isDay } from '../journal/entries.js';
import { dayOneEntries, isDayOneExport } from './day-one.js';
import { EXPORT_FORMAT, EXPORT_VERSION } from './export.js';
import { checkRawEntries, dateTime, describeIssue, nestsTooDeep, type ParsedImport, type RawEntry, TOO_DEEP } from './import-checks.js';
import { readMarkdownExport } from './markdown-export.js';

export const IMPORT_MAX_BYTES = 20 * 1024 * 1024;
const MAX_PROBLEMS_SHOWN = 5;

const day = z
  .string({ error: 'must be a day such as 2024-05-01' })
  .refine(isDay, 'must be a day from 0001-01-01 to 9999-12-31, such as 2024-05-01');

const entrySchema = z.object(
  {
    id: z.guid({ error: 'must be an entry id such as 0b8c7c1e-6f6a-4a51-9d55-2f1f6c1f0a3e' }).optional(),
    title: z.string({ error: 'must be text' }),
    body: z.string({ error: 'must be text' }),
    entryDate: day.optional(),
    tags: z.array(z.string({ error: 'must be text' }), { error: 'must be a list of words' }).optional(),
    createdAt: dateTime,
    updatedAt: dateTime.optional(),
    trashedAt: dateTime.optional(),
    starred: z.boolean({ error: 'must be true or false' }).optional(),
  },
  { error: 'must be an entry object with "title", "body" and "createdAt"' },
);

const exportSchema = z.object(
  {
    format: z.literal(EXPORT_FORMAT, { error: `must be "${EXPORT_FORMAT}" (this is not a Smriti export)` }),
    version: z.literal(EXPORT_VERSION, { error: `must be ${EXPORT_VERSION}, the only version this Smriti reads` }),
    exportedAt: z.string({ error: 'must be text' }).optional(),
    entries: z.array(entrySchema, { error: 'must be a list of entries' }),
  },
  { error: 'must be a JSON object with "format", "version" and "entries"' },
);

function decode(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return undefined;
  }
}

function smritiEntries(json: unknown, timeZone: string): ParsedImport {
  const shape = exportSchema.safeParse(json);
  if (!shape.success) return { kind: 'invalid', problems: shape.error.issues.map((i) => describeIssue(i.path, i.message)) };
  const raws = shape.data.entries.map((raw): RawEntry => {
    const createdAt = new Date(raw.createdAt);
    return {
      id: raw.id?.toLowerCase(),
      title: raw.title,
      body: raw.body,
      entryDate: raw.entryDate,
      tags: raw.tags,
      createdAt,
      updatedAt: raw.updatedAt ? new Date(raw.updatedAt) : createdAt,
      deletedAt: raw.trashedAt ? new Date(raw.trashedAt) : null,
      starred: raw.starred,
    };
  });
  return checkRawEntries(raws, timeZone);
}

const NOT_A_JOURNAL =
  'The file is not valid JSON, nor a Smriti Markdown export; choose a Smriti export (.json or .md) or a Day One JSON export.';

/**
 * The entries of the uploaded file, or every problem found (nothing is partly accepted).
 * `timeZone` is the writer's: it gives a day to entries whose file names none.
 */
export function parseExportFile(bytes: Buffer, timeZone = 'UTC'): ParsedImport {
  const text = decode(bytes);
  if (text === undefined) return { kind: 'invalid', problems: ['The file is not UTF-8 text; choose the file Smriti or Day One exported.'] };
  const markdown = readMarkdownExport(text.replace(/^\uFEFF/, ''));
  if (markdown) {
    return smritiEntries({ format: EXPORT_FORMAT, version: EXPORT_VERSION, entries: markdown }, timeZone);
  }
  if (nestsTooDeep(text)) return { kind: 'invalid', problems: [TOO_DEEP] };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'invalid', problems: [NOT_A_JOURNAL] };
  }
  if (isDayOneExport(json)) return dayOneEntries(json, timeZone);
  return smritiEntries(json, timeZone);
}

/** One sentence for the page: the first few problems and how many more there are. */
export function describeProblems(problems: string[]): string {
  const shown = problems
    .slice(0, MAX_PROBLEMS_SHOWN)
    .map((p) => p.replace(/\.$/, ''))
    .join('; ');
  const more = problems.length - MAX_PROBLEMS_SHOWN;
  return `Nothing was imported. ${shown}${more > 0 ? `; and ${more} more problem${more === 1 ? '' : 's'}` : ''}.`;
}

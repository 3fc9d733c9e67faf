// Reading an uploaded Smriti JSON export: the whole file is checked before anything is written.
import { z } from 'zod';
import { checkEntry } from '../journal/entries.js';
import type { ImportedEntry } from '../journal/entries-bulk.js';
import { EXPORT_FORMAT, EXPORT_VERSION } from './export.js';

export const IMPORT_MAX_BYTES = 20 * 1024 * 1024;
const MAX_PROBLEMS_SHOWN = 5;

// PostgreSQL's timestamptz and JavaScript's Date both hold years 1 to 9999 without surprises.
const MIN_DATE = Date.parse('0001-01-01T00:00:00Z');
const MAX_DATE = Date.parse('9999-12-31T23:59:59.999Z');

const date = z.iso
  .datetime({ offset: true, abort: true, error: 'must be a date and time such as 2024-05-01T09:30:00.000Z' })
  .refine((text) => {
    const time = Date.parse(text);
    return time >= MIN_DATE && time <= MAX_DATE;
  }, 'must be a date between the years 1 and 9999');

const entrySchema = z.object({
  id: z.guid({ error: 'must be an entry id such as 0b8c7c1e-6f6a-4a51-9d55-2f1f6c1f0a3e' }).optional(),
  title: z.string({ error: 'must be text' }),
  body: z.string({ error: 'must be text' }),
  createdAt: date,
  updatedAt: date.optional(),
});

const exportSchema = z.object(
  {
    format: z.literal(EXPORT_FORMAT, { error: `must be "${EXPORT_FORMAT}" (this is not a Smriti export)` }),
    version: z.literal(EXPORT_VERSION, { error: `must be ${EXPORT_VERSION}, the only version this Smriti reads` }),
    exportedAt: z.string().optional(),
    entries: z.array(entrySchema, { error: 'must be a list of entries' }),
  },
  { error: 'must be a JSON object with "format", "version" and "entries"' },
);

export type ParsedImport = { kind: 'ok'; entries: ImportedEntry[] } | { kind: 'invalid'; problems: string[] };

function describeIssue(path: ReadonlyArray<PropertyKey>, message: string): string {
  if (path.length === 0) return `The file ${message}`;
  const where = path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`)).join('');
  return `${where}: ${message}`;
}

function decode(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** The entries of a Smriti JSON export, or every problem found (nothing is partly accepted). */
export function parseExportFile(bytes: Buffer): ParsedImport {
  const text = decode(bytes);
  if (text === undefined) return { kind: 'invalid', problems: ['The file is not UTF-8 text; choose the .json file Smriti exported.'] };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'invalid', problems: ['The file is not valid JSON; choose the .json file Smriti exported.'] };
  }
  const shape = exportSchema.safeParse(json);
  if (!shape.success) return { kind: 'invalid', problems: shape.error.issues.map((i) => describeIssue(i.path, i.message)) };

  const problems: string[] = [];
  const seen = new Map<string, number>();
  const entries = shape.data.entries.map((raw, index): ImportedEntry => {
    const id = raw.id?.toLowerCase();
    if (id !== undefined) {
      const earlier = seen.get(id);
      if (earlier !== undefined) problems.push(`entries[${index}].id: repeats the id of entries[${earlier}]`);
      seen.set(id, index);
    }
    const createdAt = new Date(raw.createdAt);
    const checked = checkEntry(raw);
    if (checked.kind === 'invalid') {
      for (const [field, message] of Object.entries(checked.errors)) problems.push(`entries[${index}].${field}: ${message}`);
    }
    const content = checked.kind === 'valid' ? checked.entry : { title: raw.title, body: raw.body };
    return { id, ...content, createdAt, updatedAt: raw.updatedAt ? new Date(raw.updatedAt) : createdAt };
  });
  return problems.length > 0 ? { kind: 'invalid', problems } : { kind: 'ok', entries };
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

// The journal as a download: Smriti JSON (importable) or Markdown, written page by page as it is read.
import type { Db } from '../db/db.js';
import type { Entry } from '../journal/entries.js';
import { entriesPage, type PageCursor, type PageOrder } from '../journal/entries-bulk.js';
import { localDay } from '../time-zone.js';
import { markdownEntry, markdownHead } from './markdown-export.js';

export const EXPORT_FORMAT = 'smriti-export';
export const EXPORT_VERSION = 1;
const PAGE_SIZE = 500;

export type ExportKind = 'json' | 'markdown';

export const EXPORT_TYPES: Record<ExportKind, { contentType: string; extension: string }> = {
  json: { contentType: 'application/json; charset=utf-8', extension: 'json' },
  markdown: { contentType: 'text/markdown; charset=utf-8', extension: 'md' },
};

export function exportFileName(kind: ExportKind, at: Date, timeZone: string): string {
  return `smriti-export-${localDay(at, timeZone)}.${EXPORT_TYPES[kind].extension}`;
}

/**
 * The user's entries, newest first, one page at a time. The first page is read before this
 * resolves, so a database outage still gets a proper error page instead of a broken download.
 */
export async function openEntryPages(db: Db, userId: string, order: PageOrder = 'written'): Promise<AsyncIterable<Entry[]>> {
  const first = await entriesPage(db, userId, undefined, PAGE_SIZE, order);
  return (async function* () {
    let page: { entries: Entry[]; next: PageCursor | undefined } = first;
    for (;;) {
      if (page.entries.length > 0) yield page.entries;
      if (!page.next) return;
      page = await entriesPage(db, userId, page.next, PAGE_SIZE, order);
    }
  })();
}

export async function* jsonExport(pages: AsyncIterable<Entry[]>, exportedAt: Date): AsyncGenerator<string> {
  const head = { format: EXPORT_FORMAT, version: EXPORT_VERSION, exportedAt: exportedAt.toISOString() };
  yield `${JSON.stringify(head).slice(0, -1)},"entries":[`;
  let separator = '\n';
  for await (const entries of pages) {
    let chunk = '';
    for (const e of entries) {
      const record = {
        id: e.id,
        title: e.title,
        body: e.body,
        entryDate: e.entryDate,
        tags: e.tags,
        ...(e.starred ? { starred: true } : {}),
        createdAt: e.createdAt.toISOString(),
        updatedAt: e.updatedAt.toISOString(),
        // An entry in the trash is exported too, marked, and goes back into the trash on import.
        ...(e.deletedAt ? { trashedAt: e.deletedAt.toISOString() } : {}),
      };
      chunk += separator + JSON.stringify(record);
      separator = ',\n';
    }
    yield chunk;
  }
  yield '\n]}\n';
}

/** Dates in the writer's own zone (DESIGN §15); trashed entries are marked in their line of dates. */
export async function* markdownExport(pages: AsyncIterable<Entry[]>, exportedAt: Date, timeZone: string): AsyncGenerator<string> {
  yield markdownHead(exportedAt, timeZone);
  for await (const entries of pages) {
    yield entries.map((e) => markdownEntry(e, timeZone)).join('');
  }
}

// The Markdown export, written for reading and read back by import: each entry is a "## title"
// heading, a hidden <!-- smriti-entry {…} --> line holding what the text cannot (id, exact times,
// tags), a line of dates, then the body with its own headings moved below the entry's.
import type { Entry } from '../journal/entries.js';
import { headingLines } from '../journal/markdown.js';
import { formatDay, formatMoment } from '../time-zone.js';
import { nestsTooDeep } from './import-checks.js';

export const MARKDOWN_HEAD = '# Smriti journal';
const MARKER = '<!-- smriti-entry ';
const ENTRY_HEAD = /\n## [^\n]*\n\n<!-- smriti-entry (\{[^\n]*\}) -->\n[^\n]*\n\n/g;

/** Backslash-escapes what would make Markdown of a title (emphasis, code, links, HTML, a closing #). */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>#!~|&]/g, '\\$&');
}

/**
 * The body with every heading two levels down (at most ###### ), so "# x" in an entry reads below
 * its "## title". The lines changed are returned as they were, so an import can put them back.
 */
export function demoteHeadings(body: string): { text: string; changed: Record<number, string> } {
  const parts = body.split(/(\r\n|\r|\n)/); // lines at even indexes, their line breaks between
  const changed: Record<number, string> = {};
  const set = (line: number, value: string) => {
    if (parts[line * 2] === value) return;
    changed[line] = parts[line * 2]!;
    parts[line * 2] = value;
  };
  for (const heading of headingLines(body)) {
    const hashes = '#'.repeat(Math.min(heading.level + 2, 6));
    if (!heading.setext) {
      const line = parts[heading.start * 2]!;
      if (/^ {0,3}#/.test(line)) set(heading.start, line.replace(/^( {0,3})#+/, `$1${hashes}`));
      continue;
    }
    set(heading.start, `${hashes} ${heading.text.replace(/\s+/g, ' ')}`);
    for (let line = heading.start + 1; line < heading.end; line++) set(line, '');
  }
  return { text: parts.join(''), changed };
}

export function restoreHeadings(text: string, changed: Record<string, string>): string {
  const parts = text.split(/(\r\n|\r|\n)/);
  for (const [line, original] of Object.entries(changed)) {
    const index = Number(line) * 2;
    if (index < parts.length) parts[index] = original;
  }
  return parts.join('');
}

export function markdownHead(exportedAt: Date, timeZone: string): string {
  return `${MARKDOWN_HEAD}\n\nExported ${formatMoment(exportedAt, 'datetime', timeZone)} (${timeZone}), newest entry first.\n`;
}

export function markdownEntry(e: Entry, timeZone: string): string {
  // A heading is one line: line breaks in a title would end it early.
  const title = escapeMarkdown(e.title.replace(/\s+/g, ' ').trim()) || 'Untitled';
  const { text, changed } = demoteHeadings(e.body);
  const meta = {
    id: e.id,
    title: e.title,
    entryDate: e.entryDate,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
    tags: e.tags,
    ...(e.starred ? { starred: true } : {}),
    ...(e.deletedAt ? { trashedAt: e.deletedAt.toISOString() } : {}),
    ...(Object.keys(changed).length > 0 ? { headings: changed } : {}),
  };
  const when = [formatDay(e.entryDate), `written ${formatMoment(e.createdAt, 'datetime', timeZone)}`];
  if (e.updatedAt.getTime() !== e.createdAt.getTime()) when.push(`edited ${formatMoment(e.updatedAt, 'datetime', timeZone)}`);
  if (e.tags.length > 0) when.push(escapeMarkdown(e.tags.map((t) => `#${t}`).join(' ')));
  if (e.deletedAt) when.push(`in the trash since ${formatMoment(e.deletedAt, 'datetime', timeZone)}`);
  // "<!--" and "-->" cannot occur in this JSON: < and > are escaped, so the comment stays whole.
  const json = JSON.stringify(meta).replace(/</g, '\\u003c').replace(/>/g, '\\u003e');
  return `\n## ${title}\n\n${MARKER}${json} -->\n_${when.join(' · ')}_\n\n${text}\n`;
}

/** The records of a Markdown export, shaped as the JSON export's entries, for the same checks. */
export function readMarkdownExport(text: string): unknown[] | undefined {
  if (!text.startsWith(`${MARKDOWN_HEAD}\n`)) return undefined;
  const heads = [...text.matchAll(ENTRY_HEAD)];
  return heads.map((head, i) => {
    const start = head.index + head[0].length;
    const end = i + 1 < heads.length ? heads[i + 1]!.index : text.length;
    const body = text.slice(start, end).replace(/\n$/, '');
    let meta: Record<string, unknown>;
    if (nestsTooDeep(head[1]!)) return { problem: 'its smriti-entry line nests too deep' };
    try {
      meta = JSON.parse(head[1]!) as Record<string, unknown>;
    } catch {
      return { problem: 'its smriti-entry line is not valid JSON' };
    }
    const changed = Object.fromEntries(
      Object.entries(meta.headings && typeof meta.headings === 'object' ? meta.headings : {}).filter(
        ([, line]) => typeof line === 'string',
      ),
    );
    const { headings: _, trashedAt, ...rest } = meta;
    return { ...rest, ...(trashedAt ? { trashedAt } : {}), body: restoreHeadings(body, changed) };
  });
}

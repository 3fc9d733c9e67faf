// An entry's history: every saved version (recorded by a trigger, migration 045), what each changed.
import type { Queryable } from '../db/db.js';
import { isEntryId } from './entries.js';

export const HISTORY_PAGE_SIZE = 100;

/** One line of the history: a version, its size and how it differs from the one before. */
export interface VersionSummary {
  version: number;
  title: string;
  savedAt: Date;
  chars: number;
  words: number;
  /** Characters added (positive) or taken out (negative) since the version before; null for the first. */
  charsChanged: number | null;
  titleChanged: boolean;
  dateChanged: boolean;
  tagsChanged: boolean;
  bodyChanged: boolean;
  /** A sealed version: the server cannot tell what changed in it. */
  sealed: boolean;
}

export interface EntryVersion {
  version: number;
  title: string;
  body: string;
  entryDate: string;
  tags: string[];
  savedAt: Date;
  /** A sealed entry's version: its ciphertext (the plaintext fields are empty); null when plaintext. */
  sealed: string | null;
}

/** The newest versions first; the comparison with the one before is done here, so no body leaves the database. */
export async function listVersions(db: Queryable, userId: string, entryId: string): Promise<VersionSummary[]> {
  if (!isEntryId(entryId)) return [];
  const result = await db.query<VersionSummary>(
    `SELECT version, title, "savedAt", chars, words, "charsChanged", "titleChanged", "dateChanged", "tagsChanged", "bodyChanged", sealed
     FROM (SELECT version, title, saved_at AS "savedAt", length(body) AS chars, sealed IS NOT NULL AS sealed,
                  coalesce(array_length(regexp_split_to_array(trim(body), '\\s+'), 1), 0) - (trim(body) = '')::int AS words,
                  length(body) - lag(length(body)) OVER w AS "charsChanged",
                  coalesce(title IS DISTINCT FROM lag(title) OVER w, false) AND lag(version) OVER w IS NOT NULL AS "titleChanged",
                  coalesce(entry_date IS DISTINCT FROM lag(entry_date) OVER w, false) AND lag(version) OVER w IS NOT NULL AS "dateChanged",
                  coalesce(tags IS DISTINCT FROM lag(tags) OVER w, false) AND lag(version) OVER w IS NOT NULL AS "tagsChanged",
                  coalesce(md5(body) IS DISTINCT FROM lag(md5(body)) OVER w, false) AND lag(version) OVER w IS NOT NULL AS "bodyChanged"
           FROM entry_versions WHERE user_id = $1 AND entry_id = $2
           WINDOW w AS (ORDER BY version)) AS v
     ORDER BY version DESC LIMIT $3`,
    [userId, entryId, HISTORY_PAGE_SIZE],
  );
  return result.rows;
}

export async function findVersion(db: Queryable, userId: string, entryId: string, version: number): Promise<EntryVersion | undefined> {
  if (!isEntryId(entryId)) return undefined;
  const result = await db.query<EntryVersion>(
    `SELECT version, title, body, entry_date::text AS "entryDate", tags, saved_at AS "savedAt", sealed
     FROM entry_versions WHERE user_id = $1 AND entry_id = $2 AND version = $3`,
    [userId, entryId, version],
  );
  return result.rows[0];
}

/** "Title, date and text changed (+120 characters)": what a version did, in words. */
export function describeChange(summary: VersionSummary): string {
  if (summary.sealed) return summary.charsChanged === null ? 'First written, sealed' : 'Saved, sealed';
  if (summary.charsChanged === null) return 'First written';
  const parts = [
    summary.titleChanged && 'title',
    summary.dateChanged && 'date',
    summary.tagsChanged && 'tags',
    summary.bodyChanged && 'text',
  ].filter((part): part is string => Boolean(part));
  if (parts.length === 0) return 'Saved with no change';
  const list = parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
  const delta = summary.charsChanged;
  const size = delta === 0 ? '' : ` (${delta > 0 ? '+' : '−'}${Math.abs(delta).toLocaleString('en')} characters)`;
  return `${list[0]!.toUpperCase()}${list.slice(1)} changed${size}`;
}

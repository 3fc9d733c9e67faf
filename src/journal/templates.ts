// Templates: a writer's own starting points for an entry (two built in, changed or removed like any other).
import type { Queryable } from '../db/db.js';
import type { FieldErrors } from '../http/errors.js';
import { BODY_MAX_CHARS, isEntryId, TITLE_MAX_CHARS } from './entries.js';
import { checkTags } from './tags.js';

export const TEMPLATE_NAME_MAX_CHARS = 100;
export const MAX_TEMPLATES = 50;

export interface Template {
  id: string;
  name: string;
  title: string;
  body: string;
  tags: string[];
}

export interface TemplateInput {
  name: string;
  title: string;
  body: string;
  tags: string[];
}

const COLUMNS = 'id, name, title, body, tags';

export type TemplateCheck = { kind: 'valid'; template: TemplateInput } | { kind: 'invalid'; errors: FieldErrors };

/** The form's fields, checked: a name, and a title, text and tags that an entry could hold. */
export function checkTemplate(form: { name: string; title: string; body: string; tags: string }): TemplateCheck {
  const errors: FieldErrors = {};
  const name = form.name.trim();
  if (name === '') errors.name = 'Give the template a name, such as “Morning pages”.';
  else if (name.length > TEMPLATE_NAME_MAX_CHARS) errors.name = `Keep the name under ${TEMPLATE_NAME_MAX_CHARS} characters.`;
  if (form.title.length > TITLE_MAX_CHARS) errors.title = `Keep the title under ${TITLE_MAX_CHARS} characters.`;
  if (form.body.length > BODY_MAX_CHARS) errors.body = `A template can hold up to ${BODY_MAX_CHARS.toLocaleString('en')} characters.`;
  for (const field of ['name', 'title', 'body'] as const) {
    if (!errors[field] && form[field].includes('\u0000')) errors[field] = 'The text holds a NUL character (\\0); remove it.';
  }
  const tags = checkTags(form.tags);
  if (tags.kind === 'invalid') errors.tags = tags.message;
  if (Object.keys(errors).length > 0 || tags.kind === 'invalid') return { kind: 'invalid', errors };
  return { kind: 'valid', template: { name, title: form.title.trim(), body: form.body, tags: tags.tags } };
}

export async function listTemplates(db: Queryable, userId: string): Promise<Template[]> {
  const result = await db.query<Template>(`SELECT ${COLUMNS} FROM entry_templates WHERE user_id = $1 ORDER BY created_at, id LIMIT $2`, [
    userId,
    MAX_TEMPLATES,
  ]);
  return result.rows;
}

export async function findTemplate(db: Queryable, userId: string, id: string): Promise<Template | undefined> {
  if (!isEntryId(id)) return undefined;
  const result = await db.query<Template>(`SELECT ${COLUMNS} FROM entry_templates WHERE user_id = $1 AND id = $2`, [userId, id]);
  return result.rows[0];
}

/** Undefined when the writer already keeps MAX_TEMPLATES (the count and the insert are one statement). */
export async function createTemplate(db: Queryable, userId: string, input: TemplateInput, at: Date): Promise<Template | undefined> {
  const result = await db.query<Template>(
    `INSERT INTO entry_templates (user_id, name, title, body, tags, created_at, updated_at)
     SELECT $1, $2, $3, $4, $5, $6, $6 WHERE (SELECT count(*) FROM entry_templates WHERE user_id = $1) < $7
     RETURNING ${COLUMNS}`,
    [userId, input.name, input.title, input.body, input.tags, at, MAX_TEMPLATES],
  );
  return result.rows[0];
}

export async function updateTemplate(db: Queryable, userId: string, id: string, input: TemplateInput, at: Date): Promise<boolean> {
  if (!isEntryId(id)) return false;
  const result = await db.query(
    `UPDATE entry_templates SET name = $3, title = $4, body = $5, tags = $6, updated_at = $7 WHERE user_id = $1 AND id = $2`,
    [userId, id, input.name, input.title, input.body, input.tags, at],
  );
  return result.rowCount > 0;
}

export async function deleteTemplate(db: Queryable, userId: string, id: string): Promise<boolean> {
  if (!isEntryId(id)) return false;
  return (await db.query(`DELETE FROM entry_templates WHERE user_id = $1 AND id = $2`, [userId, id])).rowCount > 0;
}

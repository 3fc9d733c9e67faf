// Reads named text fields from a form or JSON body; anything but a string is the caller's mistake.
import { AppError } from './errors.js';

export function textFields<K extends string>(body: unknown, names: readonly K[]): Record<K, string> {
  if (body !== undefined && (body === null || typeof body !== 'object' || Array.isArray(body))) {
    throw new AppError(400, 'body_invalid', 'The request body must be a form or a JSON object.');
  }
  const source = (body ?? {}) as Record<string, unknown>;
  const fields = {} as Record<K, string>;
  for (const name of names) {
    const value = source[name];
    if (value === undefined || value === null) fields[name] = '';
    else if (typeof value === 'string') fields[name] = value;
    else throw new AppError(400, 'field_invalid', `The field "${name}" must be text.`, { [name]: 'Must be text.' });
  }
  return fields;
}

// EJS with one base layout: each page renders first, then layout.ejs wraps it as `body`.
import { join } from 'node:path';
import ejs from 'ejs';

export const VIEWS_DIR = join(import.meta.dirname, '..', '..', 'views');
const LAYOUT = join(VIEWS_DIR, 'layout.ejs');

type Callback = (error: unknown, html?: string) => void;

/** Text made safe inside HTML exactly as the views' `<%= %>` writes it, for the little markup built in code. */
export const escapeHtml = (text: string): string => ejs.escapeXML(text);

export function renderWithLayout(file: string, options: object, callback: Callback): void {
  // Express passes `cache: true` when view caching is on; EJS then compiles each file once.
  // Includes are written from the views root ('/partials/time'): EJS resolves those by joining
  // paths, where a relative include costs an existsSync() system call on every render.
  const ejsOptions = { root: VIEWS_DIR, cache: (options as { cache?: boolean }).cache === true };
  ejs.renderFile(file, options, ejsOptions, (error, body) => {
    if (error) return callback(error);
    ejs.renderFile(LAYOUT, { ...options, body }, ejsOptions, callback);
  });
}

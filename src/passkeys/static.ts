// The browser half of the ceremonies: @simplewebauthn/browser's own build, served from node_modules
// (no bundler, and script-src 'self' is enough), and the pages' script that uses it.
import { join } from 'node:path';
import express, { type RequestHandler } from 'express';

export const VENDOR_PATH = '/vendor/simplewebauthn';
const BUNDLE_DIR = join(import.meta.dirname, '..', '..', 'node_modules', '@simplewebauthn', 'browser', 'dist', 'bundle');

/** For a page's `scripts`: deferred, so they run in this order after the page is parsed. */
export const PASSKEY_SCRIPTS: readonly string[] = [`${VENDOR_PATH}/index.umd.min.js`, '/js/passkeys.js'];

export function passkeyBrowserBundle(production: boolean): RequestHandler {
  return express.static(BUNDLE_DIR, { index: false, maxAge: production ? '1h' : 0 });
}

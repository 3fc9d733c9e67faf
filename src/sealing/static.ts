// The sealed journal's browser libraries, served from node_modules as their own builds (no bundler;
// script-src 'self' covers them): Argon2id for passphrases, a client-side full-text index, Markdown,
// zxcvbn-ts for the journal passphrase's strength.
import { join } from 'node:path';
import express, { type Router } from 'express';

const NODE_MODULES = join(import.meta.dirname, '..', '..', 'node_modules');

/** URL prefix → the one folder of the package it may read from. */
const VENDORED: Record<string, string> = {
  '/vendor/hash-wasm': join(NODE_MODULES, 'hash-wasm', 'dist'),
  '/vendor/minisearch': join(NODE_MODULES, 'minisearch', 'dist', 'umd'),
  '/vendor/markdown-it': join(NODE_MODULES, 'markdown-it', 'dist'),
  // The journal passphrase's strength is judged in the browser: the server never sees that passphrase.
  '/vendor/zxcvbn-ts/core': join(NODE_MODULES, '@zxcvbn-ts', 'core', 'dist'),
  '/vendor/zxcvbn-ts/language-common': join(NODE_MODULES, '@zxcvbn-ts', 'language-common', 'dist'),
  '/vendor/zxcvbn-ts/language-en': join(NODE_MODULES, '@zxcvbn-ts', 'language-en', 'dist'),
};

export function sealingBrowserLibraries(production: boolean): Router {
  const router = express.Router();
  for (const [path, dir] of Object.entries(VENDORED)) {
    router.use(path, express.static(dir, { index: false, maxAge: production ? '1h' : 0 }));
  }
  return router;
}

// Passkeys as a way in, as createApp registers it: its routes, its buttons on the sign-in pages,
// and its part of /account.
import { Router } from 'express';
import type { SignInMethod } from '../sign-in/methods.js';
import { passkeyAccountRoutes } from './account-routes.js';
import { passkeyAccountSection } from './account-section.js';
import { countPasskeys, removeAllPasskeys } from './credentials.js';
import { passkeySignInRoutes } from './sign-in-routes.js';
import { PASSKEY_SCRIPTS } from './static.js';

export const passkeyMethod: SignInMethod = {
  name: 'passkey',
  routes: (ctx, flow) => Router().use(passkeySignInRoutes(ctx, flow), passkeyAccountRoutes(ctx)),
  partials: { login: '/passkeys/login', register: '/passkeys/register', confirm: '/passkeys/confirm' },
  canConfirm: async (ctx, user) => (await countPasskeys(ctx.db, user.id)) > 0,
  scripts: PASSKEY_SCRIPTS,
  accountSection: passkeyAccountSection,
  async removeAll(_ctx, tx, userId) {
    const names = await removeAllPasskeys(tx, userId);
    return { removed: names.map((name) => `the passkey "${name}"`), detail: { passkeys: names.length } };
  },
};

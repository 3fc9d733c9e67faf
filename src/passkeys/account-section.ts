// The passkeys part of /account: the list, and the form that adds one.
import type { AccountSection } from '../sign-in/methods.js';
import { listPasskeys } from './credentials.js';
import { PASSKEY_SCRIPTS } from './static.js';

export const passkeyAccountSection: AccountSection = {
  name: 'passkeys',
  view: '/passkeys/account-section',
  load: (ctx, user) => listPasskeys(ctx.db, user.id),
  scripts: PASSKEY_SCRIPTS,
};

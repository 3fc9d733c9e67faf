// The two-step part of /account: on or off, and how many recovery codes are left.
import type { AccountSection } from '../sign-in/methods.js';
import { countRecoveryCodes } from './recovery-codes.js';
import { isTotpEnabled } from './totp.js';

export const twoFactorAccountSection: AccountSection = {
  name: 'twoFactor',
  view: '/mfa/account-section',
  load: async (ctx, user) =>
    (await isTotpEnabled(ctx.db, user.id)) ? { codesLeft: await countRecoveryCodes(ctx.db, user.id) } : undefined,
};

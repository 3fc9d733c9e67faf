// The sealed journal's part of /account: whether the journal is sealed, and the way to its page.
import { journalState } from '../journal/sealed.js';
import type { AccountSection } from '../sign-in/methods.js';
import { listKeys } from './keys.js';

export const sealingAccountSection: AccountSection = {
  name: 'sealing',
  view: '/sealing/account-section',
  load: async (ctx, user) => {
    const [state, keys] = await Promise.all([journalState(ctx.db, user.id), listKeys(ctx.db, user.id)]);
    return { state, keys: keys.length };
  },
};

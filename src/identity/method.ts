// "Continue with <provider>" as a way in, as createApp registers it. Registered whether or not
// OIDC_* are set: its routes, buttons and confirm answer only when they are, but identities linked
// while a provider was configured are still taken back when the mailbox is proved.
import type { SignInMethod } from '../sign-in/methods.js';
import { listIdentities, unlinkAllIdentities } from './identities.js';
import { oidcRoutes } from './oidc-routes.js';

export const oidcMethod: SignInMethod = {
  name: 'oidc',
  routes: oidcRoutes,
  partials: { login: '/identity/continue-with', register: '/identity/continue-with', confirm: '/identity/confirm-with' },
  // Only an account with a linked identity can prove itself at the provider.
  canConfirm: async (ctx, user) => Boolean(ctx.config.oidc) && (await listIdentities(ctx.db, user.id)).length > 0,
  async removeAll(ctx, tx, userId) {
    const provider = ctx.config.oidc?.providerName ?? 'single sign-on';
    const emails = await unlinkAllIdentities(tx, userId);
    return {
      removed: emails.map((email) => `sign-in with ${provider}${email ? ` (${email})` : ''}`),
      detail: { identities: emails.length },
    };
  },
};

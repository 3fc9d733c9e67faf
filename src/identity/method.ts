// "Continue with <provider>" as a way in, as createApp registers it when OIDC_* are set.
import type { SignInMethod } from '../sign-in/methods.js';
import { listIdentities } from './identities.js';
import { oidcRoutes } from './oidc-routes.js';

export const oidcMethod: SignInMethod = {
  name: 'oidc',
  routes: oidcRoutes,
  partials: { login: '/identity/continue-with', register: '/identity/continue-with', confirm: '/identity/confirm-with' },
  // Only an account with a linked identity can prove itself at the provider.
  canConfirm: async (ctx, user) => (await listIdentities(ctx.db, user.id)).length > 0,
};

// What the account page shows of the account's identity: the email's state and linked providers.
import { UNVERIFIED_RESET_WINDOW_SECONDS, type User } from '../auth/users.js';
import type { AppContext } from '../context.js';
import type { AccountSection } from '../sign-in/methods.js';
import { pendingEmailChange } from './email-links.js';
import { type LinkedIdentity, listIdentities } from './identities.js';

export interface IdentitySection {
  emailVerified: boolean;
  /** Unverified, but new enough that reset links still go to it (mayReceiveResetLink): until when. */
  resetLinksUntil: Date | undefined;
  /** A new address waiting for its link to be opened. */
  pendingEmail: string | undefined;
  hasPassword: boolean;
  /** Undefined when no provider is configured. */
  provider: { name: string; identities: LinkedIdentity[]; configured: boolean } | undefined;
}

function resetWindowEnd(user: User, nowMs: number): Date | undefined {
  const end = user.createdAt.getTime() + UNVERIFIED_RESET_WINDOW_SECONDS * 1000;
  return user.emailVerifiedAt === null && nowMs < end ? new Date(end) : undefined;
}

export async function identitySection(ctx: AppContext, user: User): Promise<IdentitySection> {
  const oidc = ctx.config.oidc;
  const identities = await listIdentities(ctx.db, user.id);
  return {
    emailVerified: user.emailVerifiedAt !== null,
    resetLinksUntil: resetWindowEnd(user, ctx.now()),
    pendingEmail: await pendingEmailChange(ctx.db, user.id, new Date(ctx.now())),
    hasPassword: user.passwordHash !== null,
    // Identities linked while a provider was configured still show, so they can be unlinked.
    provider:
      oidc || identities.length > 0 ? { name: oidc?.providerName ?? 'your provider', identities, configured: Boolean(oidc) } : undefined,
  };
}

export const identityAccountSection: AccountSection = { name: 'identity', view: '/identity/account-section', load: identitySection };

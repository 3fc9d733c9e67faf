// What a feature hands the account page: its part of /account, drawn by its own partial. The page
// loads them side by side and knows none of them.
import type { User } from '../auth/users.js';
import type { AppContext } from '../context.js';

export interface AccountSection {
  /** The partial's local name for what `load` answers (`passkeys`, `twoFactor`, …). */
  name: string;
  /** The partial under views/ ('/passkeys/account-section'); it is also given `email` and `errors`. */
  view: string;
  load(ctx: AppContext, user: User): Promise<unknown>;
  /** Browser scripts the partial needs: files, inside the CSP. */
  scripts?: readonly string[];
}

export interface LoadedSection {
  name: string;
  view: string;
  data: unknown;
}

export async function loadSections(ctx: AppContext, sections: readonly AccountSection[], user: User): Promise<LoadedSection[]> {
  return Promise.all(sections.map(async (s) => ({ name: s.name, view: s.view, data: await s.load(ctx, user) })));
}

export function sectionScripts(sections: readonly AccountSection[]): string[] {
  return [...new Set(sections.flatMap((s) => s.scripts ?? []))];
}

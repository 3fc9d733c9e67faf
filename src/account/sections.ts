// The sections features hand the account page (sign-in/methods.ts: AccountSection), loaded side by
// side; the page knows none of them.
import type { User } from '../auth/users.js';
import type { AppContext } from '../context.js';
import type { AccountSection } from '../sign-in/methods.js';

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

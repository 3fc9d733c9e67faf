// The sign-in flow's interfaces: what a way in and a second factor give it, and what it gives them.
// A way in (passkeys, a provider, a test's fake) is one more entry in createApp's list.
import type { Request, Response, Router } from 'express';
import type { User } from '../auth/users.js';
import type { ClientInfo } from '../client.js';
import type { AppContext } from '../context.js';
import type { Queryable } from '../db/db.js';
import type { FieldErrors } from '../http/errors.js';

/** Who proved themselves, how, and where they go next. */
export interface SignIn {
  userId: string;
  email: string;
  /** How the person proved who they are, as recorded on login_succeeded: `password`, `password+totp`, `passkey`, … */
  method: string;
  shared: boolean;
  next: string;
  /** The account was made by this request (its first device is no news to its owner), its address proved or not. */
  newAccount?: { emailVerified: boolean };
  /** This sign-in is the registration itself: recorded as `registered`, not as a sign-in. */
  registration?: boolean;
}

/** A second factor's answer to a code: passed (named as recorded), or wrong. */
export type SecondFactorCheck =
  | { kind: 'passed'; name: string; notice?: string }
  /** `message`: what to tell the person instead of "not right" (a code already used, say). */
  | { kind: 'wrong'; message?: string }
  /** The account's failed-sign-in limit is reached: nothing was checked. */
  | { kind: 'limited'; retryAfterSeconds: number; message: string };

/** What removing a way in took away: words for the owner's email, counts for the audit row. */
export interface Removed {
  removed: string[];
  detail: Record<string, number | boolean>;
}

/**
 * Removes every credential of a way in or factor from the account, inside the caller's transaction
 * (proving the mailbox takes the account back: sign-in/mailbox-proof.ts).
 */
export type RemoveAll = (ctx: AppContext, tx: Queryable, userId: string) => Promise<Removed>;

export interface SecondFactor {
  isEnabled(ctx: AppContext, userId: string): Promise<boolean>;
  removeAll: RemoveAll;
  /** Spends `code` if it is right (each code works once), recording what it must. */
  /** Spends `code` if it is right, as one try of the account's failed-sign-in limit. */
  check(ctx: AppContext, req: Request, user: { id: string; email: string }, code: string): Promise<SecondFactorCheck>;
}

/** A part of /account that a feature brings, drawn by its own partial. */
export interface AccountSection {
  /** The partial's local name for what `load` answers (`passkeys`, `twoFactor`, …). */
  name: string;
  /** The partial under views/ ('/passkeys/account-section'); it is also given `email` and `errors`. */
  view: string;
  load(ctx: AppContext, user: User): Promise<unknown>;
  /** Browser scripts the partial needs: files, inside the CSP. */
  scripts?: readonly string[];
}

/** The sign-in pages' slots a way in may draw into; each partial is given the page's locals. */
export interface SignInPartials {
  login?: string;
  register?: string;
  /** On /account/confirm, shown when `canConfirm` says this way in can prove the signed-in user. */
  confirm?: string;
}

export interface SignInMethod {
  name: string;
  routes(ctx: AppContext, flow: SignInFlow): Router;
  partials?: SignInPartials;
  canConfirm?(ctx: AppContext, user: User): Promise<boolean>;
  scripts?: readonly string[];
  accountSection?: AccountSection;
  removeAll?: RemoveAll;
}

export interface MailboxProof {
  userId: string;
  at: Date;
  client: ClientInfo;
  /** The prover holds the account's ways in already (a link opened in its own signed-in browser). */
  keepWaysIn: boolean;
}

/** What the flow gives every way in: the one path to a session, and its pages. */
export interface SignInFlow {
  /** The second step when the account has one (303 /login/two-factor), else completeSignIn. */
  afterFirstFactor(req: Request, res: Response, signIn: SignIn): Promise<void>;
  /** Every factor proved: the session, its cookies, the audit row, the session hooks, then 303 `next`. */
  completeSignIn(req: Request, res: Response, signIn: SignIn): Promise<void>;
  /** A fresh proof on the confirm page by `userId`: auth_time renewed in this session, if it is theirs. */
  renewAuthTime(req: Request, res: Response, proof: { userId: string; method: string; next: string }): Promise<void>;
  hasSecondFactor(userId: string): Promise<boolean>;
  checkSecondFactor(req: Request, user: { id: string; email: string }, code: string): Promise<SecondFactorCheck>;
  renderLogin(res: Response, status: number, locals: { next: string; email?: string; errors?: FieldErrors; messages?: string[] }): void;
  renderRegister(res: Response, status: number, locals: { email?: string; errors?: FieldErrors }): void;
  renderConfirm(res: Response, status: number, user: User, next: string, errors: FieldErrors): Promise<void>;
  /** Inside the caller's transaction: marks the address proved, and takes back what was added before (docs/security.md). */
  proveMailbox(tx: Queryable, proof: MailboxProof): Promise<string[]>;
}

/** Called after a session starts (remembering the device is one); before the response is sent. */
export type SessionHook = (req: Request, res: Response, signIn: SignIn) => void;

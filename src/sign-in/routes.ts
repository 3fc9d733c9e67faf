// The sign-in flow's own pages: the password way in, the second step, and the fresh sign-in.
import { Router } from 'express';
import type { AppContext } from '../context.js';
import { confirmRoutes } from './confirm-routes.js';
import type { SignInFlow } from './methods.js';
import { passwordRoutes } from './password-routes.js';
import { twoStepRoutes } from './two-factor-routes.js';

export function signInRoutes(ctx: AppContext, flow: SignInFlow): Router {
  return Router().use(passwordRoutes(ctx, flow), twoStepRoutes(ctx, flow), confirmRoutes(ctx, flow));
}

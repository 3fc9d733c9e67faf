// connect-flash ships no types: its one export makes the middleware that gives req.flash over req.session.flash.
declare module 'connect-flash' {
  import type { RequestHandler } from 'express';
  export default function flash(options?: { unsafe?: boolean }): RequestHandler;
}

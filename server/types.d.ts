import type { Caller } from './access';

declare global {
  namespace Express {
    interface Request {
      /** The signed-in person, from the session or an API bearer token. */
      caller?: Caller;
      id?: string | number | object;
    }
  }
}

declare module 'express-session' {
  interface SessionData {
    userId?: string;
    csrfToken?: string;
    returnTo?: string;
    flash?: string;
    [key: string]: unknown;
  }
}

export {};

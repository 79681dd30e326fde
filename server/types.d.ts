import type { Caller } from './access';

declare global {
  namespace Express {
    interface Request {
      /** The signed-in person, from the session or an API bearer token. */
      caller?: Caller;
      id?: string | number | object;
      /** Set on a declared upload path: whether the form's own `_csrf` field is right (server/auth/csrf.ts). */
      uploadTokenMatches?: (sent: unknown) => boolean;
    }
  }
}

declare module 'express-session' {
  interface SessionData {
    userId?: string;
    csrfToken?: string;
    returnTo?: string;
    flash?: string;
    /** A password-reset or invitation link's token, moved here from the address bar on first use. */
    resetToken?: string;
    invitationToken?: string;
    /** Set by a module that signed this session in elsewhere (SAML): POST /sign-out goes on there. */
    signOutPath?: string;
    [key: string]: unknown;
  }
}

export {};

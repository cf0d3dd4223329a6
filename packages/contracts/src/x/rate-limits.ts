/** X API access tiers; each has its own per-user limits. */
export type XTier = 'free' | 'basic' | 'pro' | 'enterprise';
export const X_TIERS: readonly XTier[] = ['free', 'basic', 'pro', 'enterprise'];

/** The X API v2 endpoints Conveyor calls (and the simulator serves), each with its own rate-limit counter. */
export type XEndpoint =
  | 'POST /2/tweets'
  | 'DELETE /2/tweets/:id'
  | 'GET /2/tweets'
  | 'GET /2/tweets/:id'
  | 'GET /2/users/:id/tweets'
  | 'GET /2/users/me'
  | 'POST /2/media/upload'
  | 'POST /2/media/upload/:id/append'
  | 'POST /2/media/upload/:id/finalize'
  | 'GET /2/media/upload';

export interface XLimit {
  /** Requests allowed per window and user token. */
  limit: number;
  windowMs: number;
}

const MIN15 = 15 * 60_000;
const H24 = 24 * 60 * 60_000;
const per15 = (limit: number): XLimit => ({ limit, windowMs: MIN15 });
const per24h = (limit: number): XLimit => ({ limit, windowMs: H24 });

/**
 * X's published per-user limits, per tier and endpoint. Free, Basic and Pro are the tier tables
 * X published for v2 (e.g. POST /2/tweets: 17 per 24 h, 100 per 24 h, 100 per 15 min); for
 * Enterprise, which X negotiates per contract, the current per-endpoint table (the one without
 * tiers). Media uploads: initialize/simple upload count as one upload against X's upload
 * limit; append, finalize and status are per chunk and poll, so they get the generous media
 * limit of the current table on every tier (the tier tables give no separate figure for them).
 */
export const X_RATE_LIMITS: Record<XTier, Record<XEndpoint, XLimit>> = {
  free: {
    'POST /2/tweets': per24h(17),
    'DELETE /2/tweets/:id': per24h(17),
    'GET /2/tweets': per15(1),
    'GET /2/tweets/:id': per15(1),
    'GET /2/users/:id/tweets': per15(1),
    'GET /2/users/me': per24h(25),
    'POST /2/media/upload': per24h(17),
    'POST /2/media/upload/:id/append': per15(1875),
    'POST /2/media/upload/:id/finalize': per15(1875),
    'GET /2/media/upload': per15(1875),
  },
  basic: {
    'POST /2/tweets': per24h(100),
    'DELETE /2/tweets/:id': per24h(100),
    'GET /2/tweets': per15(15),
    'GET /2/tweets/:id': per15(15),
    'GET /2/users/:id/tweets': per15(5),
    'GET /2/users/me': per24h(250),
    'POST /2/media/upload': per24h(100),
    'POST /2/media/upload/:id/append': per15(1875),
    'POST /2/media/upload/:id/finalize': per15(1875),
    'GET /2/media/upload': per15(1875),
  },
  pro: {
    'POST /2/tweets': per15(100),
    'DELETE /2/tweets/:id': per15(50),
    'GET /2/tweets': per15(900),
    'GET /2/tweets/:id': per15(900),
    'GET /2/users/:id/tweets': per15(900),
    'GET /2/users/me': per15(75),
    'POST /2/media/upload': per15(500),
    'POST /2/media/upload/:id/append': per15(1875),
    'POST /2/media/upload/:id/finalize': per15(1875),
    'GET /2/media/upload': per15(1875),
  },
  enterprise: {
    'POST /2/tweets': per15(100),
    'DELETE /2/tweets/:id': per15(50),
    'GET /2/tweets': per15(5000),
    'GET /2/tweets/:id': per15(900),
    'GET /2/users/:id/tweets': per15(900),
    'GET /2/users/me': per15(75),
    'POST /2/media/upload': per15(1875),
    'POST /2/media/upload/:id/append': per15(1875),
    'POST /2/media/upload/:id/finalize': per15(1875),
    'GET /2/media/upload': per15(1875),
  },
};

/** Replacements for some entries of the table (short windows for tests, say). */
export type XRateLimitOverrides = Partial<Record<XTier, Partial<Record<XEndpoint, Partial<XLimit>>>>>;

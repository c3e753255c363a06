import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Logger } from 'pino';
import { RateLimitedError } from '../../errors/api-error';
import { Principal } from '../../scope/scope';

const WINDOW_MS = 60_000;

/**
 * The optional per-token rate limit (RATE_LIMIT_PER_MINUTE; off by default, since honest
 * integrations are never to be throttled): express-rate-limit, in memory (per instance), over
 * a fixed one-minute window, keyed by the authenticated token's id. It runs after
 * authentication, so only real tokens have budgets (their number bounds its memory); made-up
 * tokens are the failed-authentication budget's business (middleware/auth.ts). Responses carry
 * the IETF RateLimit and RateLimit-Policy headers (draft 8); over the budget, 429
 * `rate_limited` with Retry-After, in the shape of the surface called.
 */
export function tokenRateLimiter(limitPerMinute: number, logger: Logger): RequestHandler {
  return rateLimit({
    windowMs: WINDOW_MS,
    limit: limitPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (_req: Request, res: Response) => `token:${(res.locals.principal as Principal).tokenId}`,
    handler: (req: Request, _res: Response, next: NextFunction) => {
      const resetTime = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = Math.max(1, resetTime ? Math.ceil((resetTime.getTime() - Date.now()) / 1000) : WINDOW_MS / 1000);
      next(new RateLimitedError(`At most ${limitPerMinute} requests a minute are answered per token; retry in ${seconds} s.`, seconds));
    },
    logger: {
      error: (err: unknown, message?: string) => logger.error({ err }, message ?? 'rate limiter error'),
      warn: (err: unknown, message?: string) => logger.warn({ err }, message ?? 'rate limiter warning'),
    },
  });
}

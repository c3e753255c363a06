import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { Logger } from 'pino';
import { hashToken } from '../../auth/tokens';
import { RateLimitedError } from '../../errors/api-error';

const WINDOW_MS = 60_000;

/**
 * The caller a request counts against: its bearer token (by the token's SHA-256, the same
 * hash the token table keeps, so no secret sits in memory), or its address when it sends none.
 * Counting happens before authentication, so that unauthenticated floods and token guessing
 * are limited too, and a 429 costs no database work.
 */
function callerKey(req: Request): string {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
  if (bearer) return `token:${hashToken(bearer[1])}`;
  return `ip:${ipKeyGenerator(req.ip ?? '')}`;
}

/**
 * Per-caller rate limit (express-rate-limit, in-memory: per instance) over a fixed one-minute
 * window. Every response carries the IETF RateLimit and RateLimit-Policy headers (draft 8); a
 * caller over its budget gets 429 `rate_limited` with Retry-After through the error handler,
 * in the shape of the surface it called.
 */
export function rateLimiter(limitPerMinute: number, logger: Logger): RequestHandler {
  return rateLimit({
    windowMs: WINDOW_MS,
    limit: limitPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: callerKey,
    handler: (req: Request, _res: Response, next: NextFunction) => {
      const resetTime = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = resetTime ? Math.ceil((resetTime.getTime() - Date.now()) / 1000) : WINDOW_MS / 1000;
      next(new RateLimitedError(limitPerMinute, Math.max(1, seconds)));
    },
    logger: {
      error: (err: unknown, message?: string) => logger.error({ err }, message ?? 'rate limiter error'),
      warn: (err: unknown, message?: string) => logger.warn({ err }, message ?? 'rate limiter warning'),
    },
  });
}

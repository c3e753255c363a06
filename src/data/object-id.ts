import { randomBytes, randomInt } from 'node:crypto';

/**
 * Ids laid out like a MongoDB ObjectId: 4 bytes of Unix seconds, 5 random bytes fixed for the
 * process, a 3-byte counter starting at a random value. They sort by creation second, and
 * strictly by creation within one process.
 */
const processBytes = randomBytes(5).toString('hex');
let counter = randomInt(0, 0xffffff);
let lastSecond = 0;

export function newObjectId(now: number = Date.now()): string {
  let seconds = Math.max(Math.floor(now / 1000), lastSecond);
  counter = (counter + 1) % 0x1000000;
  // A counter wrapping within one second would break the order: move on to the next second.
  if (counter === 0 && seconds === lastSecond) seconds++;
  lastSecond = seconds;
  return seconds.toString(16).padStart(8, '0') + processBytes + counter.toString(16).padStart(6, '0');
}

export const OBJECT_ID = /^[0-9a-f]{24}$/;

export function isObjectId(value: unknown): value is string {
  return typeof value === 'string' && OBJECT_ID.test(value);
}

/** RFC 3339 UTC with milliseconds. */
export function nowIso(): string {
  return new Date().toISOString();
}

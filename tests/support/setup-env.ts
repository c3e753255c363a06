process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? 'silent';
// Tests make far more requests a minute per token than any client should: rate limiting is off
// in every service the tests build or start (server-process.ts passes this environment on),
// unless a test turns it on (startHarness({ RATE_LIMIT_PER_MINUTE: '5' })).
process.env.RATE_LIMIT_PER_MINUTE = process.env.RATE_LIMIT_PER_MINUTE ?? '0';

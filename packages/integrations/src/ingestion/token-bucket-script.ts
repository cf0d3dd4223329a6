import type { Cluster, Redis } from 'ioredis';

// One Lua script, so that any number of worker processes take tokens from one source's bucket
// atomically. The bucket hash holds tokens (a float) and at (epoch ms of the last refill). Time
// is Redis's TIME unless the caller injects one (ARGV[1]): one clock for every process.
//
// KEYS: the bucket. ARGV: now ('' for TIME), capacity, refill per second, tokens wanted.
// Returns {taken (1/0), wait ms until that many tokens are there (0 when taken), tokens left × 1000}.
const TAKE_LUA = `
local now
if ARGV[1] ~= '' then now = tonumber(ARGV[1]) else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local capacity = tonumber(ARGV[2])
local rate = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
local s = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(s[1]) or capacity
local at = tonumber(s[2]) or now
if now > at then tokens = math.min(capacity, tokens + (now - at) * rate / 1000) end
local taken = 0
local wait = 0
if tokens >= want then
  tokens = tokens - want
  taken = 1
else
  wait = math.ceil((want - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', math.max(now, at))
-- A full bucket needs no key: keep it as long as refilling takes, and a little more.
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity * 1000 / rate) + 60000)
return { taken, wait, math.floor(tokens * 1000) }
`;

/** The script as a command of one connection (ioredis sends EVALSHA, and the source on NOSCRIPT). */
export interface TokenBucketCommands {
  conveyorTokenBucketTake(bucket: string, ...args: (string | number)[]): Promise<[number, number, number]>;
}

/** Defines the script on `redis` (again is harmless) and returns it typed with it. */
export function withTokenBucketCommands(redis: Redis | Cluster): TokenBucketCommands {
  redis.defineCommand('conveyorTokenBucketTake', { numberOfKeys: 1, lua: TAKE_LUA });
  return redis as unknown as TokenBucketCommands;
}

import type { Cluster, Redis } from 'ioredis';

// The two operations of the shared X limiter, each one Lua script so that any number of worker
// processes read and change one (account, endpoint) budget atomically. Both touch exactly the
// two keys of xRateKeys, which share a hash tag (one Redis Cluster slot).
//
// The window hash holds: limit, remaining (the calls that may still be made), reset (epoch ms
// until which the window is treated as open), known (1 once X's headers gave the reset),
// probe_until (epoch ms: while the window is not known, one call is let through to learn X's
// count, and no other until its answer or this deadline), ceiling (the table's limit less every
// call taken in a window started from the table: never raised) and x_remaining (the lowest
// remaining X has answered in this window, -1 before any answer; x_at, when an answer was last
// applied). The in-flight set holds one
// member per call taken and not yet answered, scored by the time it is given up on (a call
// that never gets an answer, or whose answer carries no headers, is never observed).
//
// remaining is worked out afresh from every answer, as the lower of the ceiling and X's lowest
// count less the calls still in flight, never lowered step by step: an answer counted by X
// after a call still in flight takes that call off twice (once in X's count, once as in
// flight), and keeping that lower figure would leave the call unused for the rest of the
// window (a day on the free and basic tiers) once the other call's answer shows X had it.
//
// Time is ARGV[1] (epoch ms) when the caller injects a clock (tests share the simulator's), or
// Redis's TIME otherwise: one clock for every process, whatever their own clocks say.

const CLOCK = `
local function clock(given)
  if given ~= '' then return tonumber(given) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

// Keys outlive their window by this long, so that a slow (or injected) clock never sees its state
// vanish before the window ends; past its end a window is ignored anyway.
const KEEP = `
local KEEP_MS = 600000
local function save(now, w)
  redis.call('HSET', KEYS[1], 'limit', w.limit, 'remaining', w.remaining, 'reset', w.reset, 'known', w.known and 1 or 0, 'probe_until', w.probe_until,
    'ceiling', w.ceiling, 'x_remaining', w.x_remaining, 'x_at', w.x_at)
  redis.call('PEXPIRE', KEYS[1], math.max(0, w.reset - now) + KEEP_MS)
end
local function load()
  local s = redis.call('HMGET', KEYS[1], 'limit', 'remaining', 'reset', 'known', 'probe_until', 'ceiling', 'x_remaining', 'x_at')
  if not s[3] then return nil end
  -- A window saved before ceiling and x_remaining existed: its remaining is its ceiling.
  local remaining = tonumber(s[2])
  return { limit = tonumber(s[1]), remaining = remaining, reset = tonumber(s[3]), known = s[4] == '1', probe_until = tonumber(s[5]) or 0,
    ceiling = tonumber(s[6]) or remaining, x_remaining = tonumber(s[7]) or -1, x_at = tonumber(s[8]) or -1 }
end
`;

/**
 * KEYS: window, inFlight. ARGV: now ('' for Redis TIME), the table's limit, its windowMs,
 * the safety margin (ms), how long a refused caller waits for the probe (ms), how long a probe
 * may go unanswered (ms), how long a call may go unanswered (ms), this call's reservation id.
 * Returns {allowed (1/0), remaining, wait ms (0 when allowed), reason (0 allowed, 1 window
 * spent, 2 waiting for the probe's answer, 3 spent only by calls in flight: waiting for their
 * answers)}.
 */
const ACQUIRE_LUA = `${CLOCK}${KEEP}
local now = clock(ARGV[1])
local tableLimit, windowMs, marginMs = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local probeWaitMs, probeTimeoutMs, flightMs = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local inflight = redis.call('ZCARD', KEYS[2])
local w = load()
if not w or now >= w.reset then
  -- A new window from the table. Calls of the last one still in flight may reach X after its
  -- window rolled over and count in the new one, so they are taken off. X's reset is a whole
  -- second rounded up and its window opens when our first call arrives, so ours is made a
  -- second and the margin longer than the table's.
  local left = math.max(0, tableLimit - inflight)
  w = { limit = tableLimit, remaining = left, reset = now + windowMs + 1000 + marginMs, known = false, probe_until = 0, ceiling = left, x_remaining = -1, x_at = -1 }
end
if w.remaining <= 0 then
  save(now, w)
  -- Spent only by calls still in flight, which X may have counted already: their answers can
  -- give calls back, so the caller asks again soon rather than at the window's end (a day away
  -- on free and basic).
  -- Only a call taken before X's latest count was read can be in that count: one taken since
  -- (scored x_at + flightMs or later) cannot give anything back.
  local countable = w.x_at >= 0 and redis.call('ZCOUNT', KEYS[2], '-inf', '(' .. (w.x_at + flightMs)) or 0
  if countable > 0 and w.x_remaining >= 0 and math.min(w.ceiling, w.x_remaining) > 0 then
    return { 0, 0, probeWaitMs, 3 }
  end
  return { 0, 0, w.reset - now, 1 }
end
if not w.known then
  if now < w.probe_until then
    save(now, w)
    return { 0, w.remaining, math.min(probeWaitMs, w.probe_until - now), 2 }
  end
  w.probe_until = now + probeTimeoutMs
end
w.remaining = w.remaining - 1
w.ceiling = w.ceiling - 1
redis.call('ZADD', KEYS[2], now + flightMs, ARGV[8])
redis.call('PEXPIRE', KEYS[2], flightMs + KEEP_MS)
save(now, w)
return { 1, w.remaining, 0, 0 }
`;

/**
 * KEYS: window, inFlight. ARGV: now ('' for Redis TIME), the header's limit, remaining and
 * reset (epoch seconds), '1' for a 429, the safety margin (ms). Returns {remaining (-1 when no
 * window is known), applied (1, or 0 when the header spoke of a window already over)}.
 */
const OBSERVE_LUA = `${CLOCK}${KEEP}
local now = clock(ARGV[1])
local hLimit, hRemaining, hResetSec = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local refused, marginMs = ARGV[5] == '1', tonumber(ARGV[6])
-- This answer's call is no longer in flight (which reservation is gone does not matter: only
-- their number and latest deadline are used).
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZPOPMIN', KEYS[2])
local inflight = redis.call('ZCARD', KEYS[2])
local w = load()
-- X names the second its window ends in; treat that whole second, and the margin for clock
-- skew, as still inside it.
local hReset = (hResetSec + 1) * 1000 + marginMs
if hReset <= now then
  return { w and now < w.reset and w.remaining or -1, 0 }
end
local reported = refused and 0 or hRemaining
local function lowest(seen) return seen < 0 and reported or math.min(seen, reported) end
if not w or now >= w.reset then
  -- A window of X's we knew nothing of: X's count is all there is to go by.
  w = { limit = hLimit, reset = hReset, known = true, probe_until = 0, ceiling = hLimit, x_remaining = reported }
elseif not w.known or hReset == w.reset then
  -- The same window: X's lowest count so far, and X's end.
  w.x_remaining, w.reset, w.limit = lowest(w.x_remaining), hReset, hLimit
elseif hReset > w.reset then
  -- X opened a new window (a call of ours reached it after the old one ended): X's count.
  w.x_remaining, w.ceiling, w.reset, w.limit = reported, hLimit, hReset, hLimit
else
  -- X names an earlier end than it did before: keep the later end and the lower count.
  w.x_remaining = lowest(w.x_remaining)
end
-- X's lowest count (answers come back in any order; X's count only falls within a window),
-- less every call still in flight, which X may not have counted yet: never one too many. A
-- call X had counted already is taken twice only until its own answer arrives.
w.remaining = math.max(0, math.min(w.ceiling, w.x_remaining - inflight))
w.known = true
w.x_at = now
save(now, w)
return { w.remaining, 1 }
`;

type ScriptReply = Promise<number[]>;

/** The scripts as commands of one connection (ioredis sends EVALSHA, and the source on NOSCRIPT). */
export interface XRateCommands {
  conveyorXRateAcquire(window: string, inFlight: string, ...args: (string | number)[]): ScriptReply;
  conveyorXRateObserve(window: string, inFlight: string, ...args: (string | number)[]): ScriptReply;
}

/** Defines the scripts on `redis` (again is harmless) and returns it typed with them. */
export function withXRateCommands(redis: Redis | Cluster): XRateCommands {
  redis.defineCommand('conveyorXRateAcquire', { numberOfKeys: 2, lua: ACQUIRE_LUA });
  redis.defineCommand('conveyorXRateObserve', { numberOfKeys: 2, lua: OBSERVE_LUA });
  return redis as unknown as XRateCommands;
}

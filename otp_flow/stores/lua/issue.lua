-- issue.lua: one send. Checks the limits in the contract's order (otp_flow/stores/base.py),
-- then counts the send and stores the new challenge. One script, so two concurrent sends to one
-- recipient can never both pass a limit, and one send is one round trip.
--
-- KEYS[1]  recipient hash    <prefix>{client}:r:<recipient>
-- KEYS[2]  app-day counter   <prefix>{client}:d:<app-day window id>
-- KEYS[3]  quota hash        <prefix>{client}:q
-- KEYS[4]  requester hash    <prefix>{client}:a:<requester>   (absent: no requester limits)
--
-- ARGV[1]  the usage's one-letter field of the recipient hash (otp_flow._usages.REDIS_FIELDS)
-- ARGV[2]  channel (the field of the quota hash)
-- ARGV[3]  challenge id (decimal digits, below 2^48)   ARGV[4]  code digest (16 bytes)
-- ARGV[5]  now (ms)    ARGV[6]  code expiry (ms)        ARGV[7]  max failures (0-255)
-- ARGV[8]  minute window id   ARGV[9]  its end (ms)   ARGV[10] its limit (0 = off)
-- ARGV[11] hour window id     ARGV[12] its end (ms)   ARGV[13] its limit (0 = off)
-- ARGV[14] day window id      ARGV[15] its end (ms)   ARGV[16] its limit (0 = off)
-- ARGV[17] app-day end (ms)   ARGV[18] app-day limit (0 = off)
-- ARGV[19] resend interval (ms, 0 = off)               ARGV[20] quota (-1 = unlimited)
-- ARGV[21] resend backoff cap (ms, 0 = no backoff: the interval stays fixed)
-- With KEYS[4] only:
-- ARGV[22] requester budget field: l (login and the other usages) or s (signup)
-- ARGV[23] requester window (ms)  ARGV[24] its limit  ARGV[25] requester day limit
-- ARGV[26] requester -> recipient day limit (0 = off)  ARGV[27] the recipient
-- (The minute, hour and day window ids fit in 32 bits: they are packed as such.)
--
-- Returns {verdict, retry after (ms), minute count, hour count, day count, app-day count,
--          requester window count, requester day count}.
--   verdict 0 = accepted; refused by 1 resend_interval, 2 recipient_per_minute,
--   3 recipient_per_hour, 4 recipient_per_day, 5 app_per_day, 6 failures, 7 quota,
--   8 requester_per_window, 9 requester_per_day, 10 requester_recipient_per_day.
--   Of the limits in step 1, the one that refuses longest is named (see the contract).
--   The counts are after the send when accepted, the current ones when refused.
--
-- The recipient hash has one field per purpose, each packed with struct to a fixed size:
--   w         WINDOWS: the minute, hour and day window id of the last accepted send and the
--             count in each, then that send's time (ms)
--   <letter>  CHALLENGE: one per usage, under its letter (otp_flow._usages.REDIS_FIELDS):
--             challenge id, expiry (ms), max failures, failures, digest,
--             and the first 4 bytes of the digest of the code it replaced (zeros if none), so
--             a verify by recipient can tell an old code ("replaced") from a wrong one
-- Packed because a pending code must cost at most ~250 bytes of Redis memory all told: two
-- fixed-size fields keep the small hash at 87 bytes, one malloc size class below what nine
-- integer fields cost.
--
-- The requester hash: l and s (each budget's window) and v (code checks, verify.lua) are
-- ANCHORED (window start ms, count); d (all its sends of the day) and r<recipient> (its sends
-- to one recipient that day) are DAILY (day window id, count).
local WINDOWS = '>I4 I4 I4 I4 I4 I4 i8'
local CHALLENGE = '>I6 I6 B B c16 c4'
local ANCHORED = '>i8 I4'
local DAILY = '>I4 I4'

local recipient, app_day, quota_key = KEYS[1], KEYS[2], KEYS[3]
local usage, channel = ARGV[1], ARGV[2]
local now, expires, max_failures = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local resend, quota, backoff = tonumber(ARGV[19]), tonumber(ARGV[20]), tonumber(ARGV[21])
local ids = {tonumber(ARGV[8]), tonumber(ARGV[11]), tonumber(ARGV[14])}
local ends = {tonumber(ARGV[9]), tonumber(ARGV[12]), tonumber(ARGV[15]), tonumber(ARGV[17])}
local limits = {tonumber(ARGV[10]), tonumber(ARGV[13]), tonumber(ARGV[16]), tonumber(ARGV[18])}

local stored = redis.call('HMGET', recipient, 'w', usage)
local counts, last = {0, 0, 0}, 0
if stored[1] then
  local w = {struct.unpack(WINDOWS, stored[1])}
  for i = 1, 3 do
    -- A count stored for an older window id counts 0.
    if w[2 * i - 1] == ids[i] then
      counts[i] = w[2 * i]
    end
  end
  last = w[7]
end
counts[4] = tonumber(redis.call('GET', app_day)) or 0

-- The requester's counts: its window (this budget), its day, its sends to this recipient.
local requester = KEYS[4]
local rq, rq_start, rq_old_day = {0, 0, 0}, now, nil
local rq_budget, rq_window, rq_pair
if requester then
  rq_budget, rq_window, rq_pair = ARGV[22], tonumber(ARGV[23]), 'r' .. ARGV[27]
  local r = redis.call('HMGET', requester, rq_budget, 'd', rq_pair)
  if r[1] then
    local start, count = struct.unpack(ANCHORED, r[1])
    if now < start + rq_window then
      rq_start, rq[1] = start, count
    end
  end
  if r[2] then
    local id, count = struct.unpack(DAILY, r[2])
    if id == ids[3] then rq[2] = count else rq_old_day = id end
  end
  if r[3] then
    local id, count = struct.unpack(DAILY, r[3])
    if id == ids[3] then rq[3] = count end
  end
end

local function refuse(verdict, retry_at)
  return {verdict, math.max(retry_at - now, 0), counts[1], counts[2], counts[3], counts[4],
    rq[1], rq[2]}
end

-- The resend interval; with a backoff cap it doubles with each send of the day.
local interval = resend
if backoff > 0 and counts[3] > 1 then
  interval = math.min(resend * 2 ^ (counts[3] - 1), backoff)
end

-- 1. Every limit that refuses now; the one that refuses longest is named.
local verdict, retry_at = 0, 0
local function consider(v, at)
  if verdict == 0 or at > retry_at then
    verdict, retry_at = v, at
  end
end
-- The resend interval, across every usage (last: the last accepted send of any usage).
if interval > 0 and last ~= 0 and now < last + interval then
  consider(1, last + interval)
end
-- The windows; a disabled one (limit 0) never refuses.
for i = 1, 4 do
  if limits[i] > 0 and counts[i] >= limits[i] then
    consider(i + 1, ends[i])
  end
end
if requester then
  local rq_limits = {tonumber(ARGV[24]), tonumber(ARGV[25]), tonumber(ARGV[26])}
  local rq_ends = {rq_start + rq_window, ends[3], ends[3]}
  for i = 1, 3 do
    if rq_limits[i] > 0 and rq[i] >= rq_limits[i] then
      consider(i + 7, rq_ends[i])
    end
  end
end
if verdict ~= 0 then
  return refuse(verdict, retry_at)
end
-- 3. Failures carry over from a challenge that has not expired; an expired one's are forgotten.
local carried, replaced = 0, '\0\0\0\0'
if stored[2] then
  local _, old_expires, _, old_failures, old_digest = struct.unpack(CHALLENGE, stored[2])
  replaced = string.sub(old_digest, 1, 4)
  if now < old_expires then
    carried = old_failures
  end
  if carried >= max_failures then
    return refuse(6, old_expires)
  end
end
-- 4. The client's quota for this channel.
if quota >= 0 and (tonumber(redis.call('HGET', quota_key, channel)) or 0) >= quota then
  return refuse(7, now)
end

-- 5. Accept: count in every window (disabled ones too, so the stats stay true), remember the
-- send, and replace the challenge, which kills any older code for this usage.
for i = 1, 3 do
  counts[i] = counts[i] + 1
end
redis.call('HSET', recipient,
  'w', struct.pack(WINDOWS, ids[1], counts[1], ids[2], counts[2], ids[3], counts[3], now),
  usage, struct.pack(CHALLENGE, tonumber(ARGV[3]), expires, max_failures, carried, ARGV[4],
    replaced))
-- The TTL only collects garbage: the key must outlive everything in it that still matters
-- (the code, the windows with a limit, the resend interval after this send). Windows that are
-- switched off are counted but keep nothing alive (the backoff needs the day's count). Set relative to now, so a clock difference
-- between the engine and Redis cannot shorten it; only ever lengthened.
local next_interval = resend
if backoff > 0 then
  next_interval = math.min(resend * 2 ^ (counts[3] - 1), backoff)
end
local keep = math.max(expires, now + next_interval)
for i = 1, 3 do
  if limits[i] > 0 or (i == 3 and backoff > 0) then
    keep = math.max(keep, ends[i])
  end
end
local function keep_alive(key, until_ms)
  local ttl = until_ms - now
  if redis.call('PTTL', key) < ttl then
    redis.call('PEXPIRE', key, string.format('%d', math.max(ttl, 1)))
  end
end
keep_alive(recipient, keep)

counts[4] = redis.call('INCR', app_day)
if counts[4] == 1 then
  redis.call('PEXPIRE', app_day, string.format('%d', math.max(ends[4] - now, 1)))
end
redis.call('HINCRBY', quota_key, channel, 1)

if requester then
  if rq_old_day then
    -- A new day: yesterday's per-recipient counts go, so the hash holds one day's at most.
    for _, field in ipairs(redis.call('HKEYS', requester)) do
      if string.sub(field, 1, 1) == 'r' then
        redis.call('HDEL', requester, field)
      end
    end
  end
  for i = 1, 3 do
    rq[i] = rq[i] + 1
  end
  redis.call('HSET', requester, rq_budget, struct.pack(ANCHORED, rq_start, rq[1]),
    'd', struct.pack(DAILY, ids[3], rq[2]), rq_pair, struct.pack(DAILY, ids[3], rq[3]))
  local rq_keep = rq_start + rq_window
  if tonumber(ARGV[25]) > 0 or tonumber(ARGV[26]) > 0 then
    rq_keep = math.max(rq_keep, ends[3])
  end
  keep_alive(requester, rq_keep)
end
return {0, 0, counts[1], counts[2], counts[3], counts[4], rq[1], rq[2]}

-- verify.lua: one check of one code, in the contract's order (otp_flow/stores/base.py).
-- One script, so concurrent guesses can neither verify one code twice nor push its failures
-- past the limit, and one verify is one round trip.
--
-- KEYS[1]  recipient hash   <prefix>{client}:r:<recipient>
-- KEYS[2]  requester hash   <prefix>{client}:a:<requester>   (absent: no requester limit)
--
-- ARGV[1]  the usage's one-letter field of the recipient hash (otp_flow._usages.REDIS_FIELDS)
-- ARGV[2]  challenge id the otp_token names ('' = whichever is current; -1 never matches)
-- ARGV[3]  digest of the code to check (16 bytes)
-- ARGV[4]  now (ms)
-- ARGV[5]  requester check window (ms)   ARGV[6]  its limit (0 = off; both 0 without KEYS[2])
-- ARGV[7..] digests of the same code under older secret keys (key rotation), if any
--
-- Returns {status, failures, max failures}, or {6, 0, 0, retry after (ms)}.
--   status 0 verified, 1 wrong, 2 expired, 3 replaced, 4 no_challenge, 5 exceeded,
--   6 requester_limited (the requester used up its checks: nothing is compared or counted).
local CHALLENGE = '>I6 I6 B B c16 c4' -- the layout issue.lua packs
local ANCHORED = '>i8 I4' -- the requester hash's v field (issue.lua describes the hash)

-- Every check of a requester counts, right or wrong, whatever the recipient.
local requester = KEYS[2]
if requester then
  local now, window, limit = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
  local start, count = now, 0
  local v = redis.call('HGET', requester, 'v')
  if v then
    local s, c = struct.unpack(ANCHORED, v)
    if now < s + window then
      start, count = s, c
    end
  end
  if limit > 0 and count >= limit then
    return {6, 0, 0, start + window - now}
  end
  redis.call('HSET', requester, 'v', struct.pack(ANCHORED, start, count + 1))
  if redis.call('PTTL', requester) < start + window - now then
    redis.call('PEXPIRE', requester, string.format('%d', math.max(start + window - now, 1)))
  end
end

local packed = redis.call('HGET', KEYS[1], ARGV[1])
if not packed then
  return {4, 0, 0}
end
local id, expires, max_failures, failures, digest, previous = struct.unpack(CHALLENGE, packed)
if id == 0 then
  return {4, failures, max_failures} -- cancelled (undelivered): there is no code to check
end
if ARGV[2] ~= '' and tonumber(ARGV[2]) ~= id then
  return {3, failures, max_failures}
end
if tonumber(ARGV[4]) >= expires then
  return {2, failures, max_failures}
end
if failures >= max_failures then
  return {5, failures, max_failures} -- dead: nothing is compared any more
end

-- Constant time: OR together the XOR of every byte pair instead of stopping at the first
-- difference, so the time taken says nothing about how much of the digest was right.
local function differs(stored, given, length)
  local diff = #given == 16 and 0 or 1
  for i = 1, length do
    diff = bit.bor(diff, bit.bxor(string.byte(stored, i), string.byte(given, i) or 0))
  end
  return diff ~= 0
end
-- Every digest is compared (no early exit), so the time does not tell which key matched.
local matched = false
for i = 3, #ARGV do
  if (i == 3 or i > 6) and not differs(digest, ARGV[i], 16) then
    matched = true
  end
end
if matched then
  redis.call('HDEL', KEYS[1], ARGV[1]) -- single use
  return {0, failures, max_failures}
end
-- By recipient, the code the current one replaced is recognised (by a 4-byte digest prefix) and
-- answered as replaced, not counted as a wrong guess: the person simply read the older message.
if ARGV[2] == '' and not differs(previous, ARGV[3], 4) then
  return {3, failures, max_failures}
end
failures = failures + 1
redis.call('HSET', KEYS[1], ARGV[1],
  struct.pack(CHALLENGE, id, expires, max_failures, failures, digest, previous))
return {1, failures, max_failures}

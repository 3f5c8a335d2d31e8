-- rotate.lua: use a refresh token: replace the family's current token, or end the family on reuse.
-- KEYS[1]: the user's family hash (see start_family.lua)
-- ARGV[1]: family id   ARGV[2]: client id   ARGV[3]: digest of the presented token
-- ARGV[4]: digest of the new token   ARGV[5]: now (ms)   ARGV[6]: new expiry (ms)
-- ARGV[7]: how many used digests to remember
-- returns: "rotated", "reused" (the family was ended) or "unknown" (nothing changed)
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then
  return 'unknown'
end
local family = cjson.decode(raw)
local now = tonumber(ARGV[5])
if tonumber(family.e) <= now or family.c ~= ARGV[2] then
  return 'unknown'
end
local used = {}
if type(family.u) == 'table' then
  used = family.u
end
if family.d == ARGV[3] then
  local kept = {family.d}
  for i = 1, math.min(#used, tonumber(ARGV[7]) - 1) do
    kept[#kept + 1] = used[i]
  end
  family.u = kept
  family.d = ARGV[4]
  family.e = tonumber(ARGV[6])
  redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(family))
  local wanted = tonumber(ARGV[6]) - now
  if redis.call('PTTL', KEYS[1]) < wanted then
    redis.call('PEXPIRE', KEYS[1], wanted)
  end
  return 'rotated'
end
for i = 1, #used do
  if used[i] == ARGV[3] then
    redis.call('HDEL', KEYS[1], ARGV[1])
    return 'reused'
  end
end
return 'unknown'

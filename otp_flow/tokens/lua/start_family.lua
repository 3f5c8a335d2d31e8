-- start_family.lua: record a new refresh-token family of one user;
-- the user's expired families are dropped on the way.
-- KEYS[1]: the user's family hash (<prefix>{api:tokens}:user:<user id>), field = family id,
--          value = JSON {"c": client id, "d": current digest, "e": expiry ms, "u": used digests}
-- ARGV[1]: family id   ARGV[2]: the family as JSON   ARGV[3]: now (ms)   ARGV[4]: its expiry (ms)
-- returns: 1
local now = tonumber(ARGV[3])
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local family = cjson.decode(all[i + 1])
  if tonumber(family.e) <= now then
    redis.call('HDEL', KEYS[1], all[i])
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
-- Garbage collection only (expiry is checked against the caller's clock): the key lives as long
-- as its longest family.
local wanted = tonumber(ARGV[4]) - now
if redis.call('PTTL', KEYS[1]) < wanted then
  redis.call('PEXPIRE', KEYS[1], wanted)
end
return 1

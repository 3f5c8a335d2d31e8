-- create_session.lua: add a session to its user's hash, dropping the user's expired ones, in one
-- round trip (a read of the hash, then writes that depend on it).
--
-- KEYS[1]  the user's sessions  <prefix>{<namespace>}:user:<user id>   hash: digest -> expiry
--
-- ARGV[1]  now (seconds, the store's clock; a float as Python's repr writes it)
-- ARGV[2]  the new session id's digest
-- ARGV[3]  its expiry (seconds, as ARGV[1])
-- ARGV[4]  the hash's TTL in seconds (garbage collection only: every session has the same
--          lifetime, so the newest lives longest; no EXPIRE GT, which needs Redis 7)
--
-- Returns 1.
local now = tonumber(ARGV[1])
local stored = redis.call('HGETALL', KEYS[1])
for i = 1, #stored, 2 do
  if tonumber(stored[i + 1]) <= now then redis.call('HDEL', KEYS[1], stored[i]) end
end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1

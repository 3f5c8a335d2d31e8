-- nonce.lua: remember a request nonce; a second use within its lifetime is a replay.
-- The lifetime runs on the engine's clock (stored as the value) like every other time in the
-- store; the PX only collects garbage. One script, so two concurrent uses cannot both pass.
--
-- KEYS[1]  nonce key   <prefix>{scope}:n:<nonce>
--
-- ARGV[1]  now (ms)
-- ARGV[2]  lifetime (ms; 0 or less remembers nothing)
--
-- Returns 1 when the nonce is new (and is now remembered), 0 when it is a replay.
local now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
local until_ms = tonumber(redis.call('GET', KEYS[1]))
if until_ms and until_ms > now then
  return 0
end
if ttl > 0 then
  redis.call('SET', KEYS[1], string.format('%d', now + ttl), 'PX', ARGV[2])
end
return 1

-- outbox_push.lua: prepend one message to the outbox and keep the newest ones only.
-- One script: one round trip, and no reader ever sees the list longer than its bound.
--
-- KEYS[1]  outbox list   <prefix>{outbox}
--
-- ARGV[1]  the serialized message
-- ARGV[2]  how many messages to keep (0 or less keeps none)
--
-- Returns 0.
local max_len = tonumber(ARGV[2])
if max_len > 0 then
  redis.call('LPUSH', KEYS[1], ARGV[1])
  redis.call('LTRIM', KEYS[1], 0, max_len - 1)
else
  redis.call('DEL', KEYS[1])
end
return 0

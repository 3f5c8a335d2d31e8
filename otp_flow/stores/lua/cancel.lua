-- cancel.lua: kill a challenge that could not be delivered and give one quota unit back.
-- The rate-limit counts stay: a failed delivery still counts, so abuse gets no free retries.
-- The challenge is not deleted but emptied (id 0, zero digest): its expiry and failure count
-- stay, so the failures still carry over to the next code, as if the send had not happened.
--
-- KEYS[1]  recipient hash   <prefix>{client}:r:<recipient>
-- KEYS[2]  quota hash       <prefix>{client}:q
--
-- ARGV[1]  the usage's one-letter field of the recipient hash (otp_flow._usages.REDIS_FIELDS)
-- ARGV[2]  challenge id to kill (-1 never matches)
-- ARGV[3]  channel (the field of the quota hash)
-- ARGV[4]  1 = give one quota unit back (never below 0), 0 = do not
--
-- Returns 0.
local CHALLENGE = '>I6 I6 B B c16 c4' -- the layout issue.lua packs

local packed = redis.call('HGET', KEYS[1], ARGV[1])
-- Only the same challenge: a newer code sent meanwhile must stay valid.
if packed then
  local id, expires, max_failures, failures, _, previous = struct.unpack(CHALLENGE, packed)
  if id == tonumber(ARGV[2]) then
    redis.call('HSET', KEYS[1], ARGV[1],
      struct.pack(CHALLENGE, 0, expires, max_failures, failures, string.rep('\0', 16), previous))
  end
end
if ARGV[4] == '1' and (tonumber(redis.call('HGET', KEYS[2], ARGV[3])) or 0) > 0 then
  redis.call('HINCRBY', KEYS[2], ARGV[3], -1)
end
return 0

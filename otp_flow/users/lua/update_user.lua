-- update_user.lua: change a user's fields, moving its phone / email index entries with them.
-- Optimistic: the caller read the user first (index keys must be named up front, so the script
-- cannot look them up itself) and the script applies only if the identifiers are still the ones
-- read. All checks run before any write.
--
-- KEYS[1]  user hash           <prefix>{<namespace>}:user:<id>
-- KEYS[2]  old phone index     KEYS[3]  new phone index
-- KEYS[4]  old email index     KEYS[5]  new email index
--
-- ARGV[1]  user id
-- ARGV[2]  old phone ('' for none)     ARGV[3]  new phone ('' for none: removes it)
-- ARGV[4]  old email ('' for none)     ARGV[5]  new email ('' for none: removes it)
-- ARGV[6…] the user hash's fields and values to set
--
-- Returns 'ok'; 'gone' (no such user); 'stale' (the identifiers changed since they were read:
-- read again and retry); 'no_identifier' (neither a phone nor an email would be left); or the
-- name of the identifier another user has ('phone_number' or 'email'). Nothing was changed
-- unless 'ok'.
if redis.call('EXISTS', KEYS[1]) == 0 then return 'gone' end
if ARGV[3] == '' and ARGV[5] == '' then return 'no_identifier' end
local cur = redis.call('HMGET', KEYS[1], 'phone_number', 'email')
if (cur[1] or '') ~= ARGV[2] or (cur[2] or '') ~= ARGV[4] then return 'stale' end
local names = {'phone_number', 'email'}
for i = 1, 2 do
  local old, new = ARGV[2 * i], ARGV[2 * i + 1]
  if new ~= old and new ~= '' then
    local owner = redis.call('GET', KEYS[2 * i + 1])
    if owner and owner ~= ARGV[1] then return names[i] end
  end
end
for i = 1, 2 do
  local old, new = ARGV[2 * i], ARGV[2 * i + 1]
  if new ~= old then
    if old ~= '' then redis.call('DEL', KEYS[2 * i]) end
    if new ~= '' then redis.call('SET', KEYS[2 * i + 1], ARGV[1]) end
  end
end
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
return 'ok'

-- create_user.lua: create a user and claim its phone number and email, or claim nothing.
-- One script, so two signups with the same address cannot both get it.
--
-- KEYS[1]  user hash        <prefix>{<namespace>}:user:<id>
-- KEYS[2]  phone index      <prefix>{<namespace>}:phone_number:<phone>   (unused when no phone)
-- KEYS[3]  email index      <prefix>{<namespace>}:email:<email>          (unused when no email)
--
-- ARGV[1]  user id
-- ARGV[2]  phone number ('' for none)
-- ARGV[3]  email ('' for none)
-- ARGV[4…] the user hash's fields and values
--
-- Returns 'ok', or the name of the identifier that is taken ('phone_number' or 'email'; nothing
-- was changed then).
if ARGV[2] ~= '' and redis.call('EXISTS', KEYS[2]) == 1 then return 'phone_number' end
if ARGV[3] ~= '' and redis.call('EXISTS', KEYS[3]) == 1 then return 'email' end
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[1]) end
if ARGV[3] ~= '' then redis.call('SET', KEYS[3], ARGV[1]) end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
return 'ok'

-- find_user.lua: the user an identifier (phone number or email) belongs to, in one round trip.
-- A miss reads a user hash all the same (one that cannot exist), so an unknown identifier costs
-- Redis the same work as a known one: no timing oracle for account enumeration.
--
-- KEYS[1]  identifier index  <prefix>{<namespace>}:<phone_number|email>:<value>
--
-- ARGV[1]  the user hashes' key without the id: <prefix>{<namespace>}:user:  (made by the
--          store's key function; the same hash tag as KEYS[1], so the same Cluster slot)
-- ARGV[2…] the user hash's fields to read
--
-- Returns {user id, the fields' values…} ('' as the id, and nils, when nobody has the identifier;
-- a missing field is nil).
local user_id = redis.call('GET', KEYS[1])
if not user_id then user_id = '' end
local found = redis.call('HMGET', ARGV[1] .. user_id, unpack(ARGV, 2))
table.insert(found, 1, user_id)
return found

-- throttle.lua: count one attempt in a fixed window, refusing once the window's limit is used.
-- For attempts that are not codes (password sign-in): one script, so concurrent attempts can
-- never pass the limit together. Times are the engine's; the PX only collects garbage.
--
-- KEYS[1]  counter   <prefix>{scope}:t:<key>
--
-- ARGV[1]  now (ms)
-- ARGV[2]  window length (ms)
-- ARGV[3]  limit (attempts per window, >= 1)
--
-- Value: "<window start ms>:<count>". The window starts at the first attempt after the last
-- window ended.
--
-- Returns {allowed (1/0), count after this attempt, retry after (ms; 0 when allowed)}.
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local start, count = now, 0
local stored = redis.call('GET', KEYS[1])
if stored then
  local s, c = string.match(stored, '^(%d+):(%d+)$')
  if s and tonumber(s) + window > now then
    start, count = tonumber(s), tonumber(c)
  end
end
if count >= limit then
  return {0, count, start + window - now}
end
count = count + 1
redis.call('SET', KEYS[1], string.format('%d:%d', start, count), 'PX',
  string.format('%d', math.max(start + window - now, 1)))
return {1, count, 0}

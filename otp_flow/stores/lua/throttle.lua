-- throttle.lua: count one attempt in fixed windows, refusing once any window's limit is used.
-- For attempts that are not codes (password sign-in): one script, so concurrent attempts can
-- never pass a limit together, and several counters (per identifier and requester, per
-- requester) are counted all or nothing. Times are the engine's; the PX only collects garbage.
--
-- KEYS[1..n]  counters   <prefix>{scope}:t:<key>
--
-- ARGV[1]  now (ms)
-- ARGV[2]  window length (ms)
-- ARGV[3..n+2]  the limit of each counter (attempts per window, >= 1)
--
-- Value: "<window start ms>:<count>". Each window starts at the first attempt after its last
-- window ended.
--
-- Returns {allowed (1/0), KEYS[1]'s count after this attempt, retry after (ms; 0 when allowed)}.
--   Refused (nothing counted) when any counter is at its limit; the wait is the longest.
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local starts, counts, wait = {}, {}, 0
for i, key in ipairs(KEYS) do
  local start, count = now, 0
  local stored = redis.call('GET', key)
  if stored then
    local s, c = string.match(stored, '^(%d+):(%d+)$')
    if s and tonumber(s) + window > now then
      start, count = tonumber(s), tonumber(c)
    end
  end
  starts[i], counts[i] = start, count
  if count >= tonumber(ARGV[i + 2]) then
    wait = math.max(wait, start + window - now)
  end
end
if wait > 0 then
  return {0, counts[1], wait}
end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, string.format('%d:%d', starts[i], counts[i] + 1), 'PX',
    string.format('%d', math.max(starts[i] + window - now, 1)))
end
return {1, counts[1] + 1, 0}

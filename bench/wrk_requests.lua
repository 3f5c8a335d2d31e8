-- wrk_requests.lua: a bounded wrk run over pre-built POST requests (driven by bench/load.py).
--
-- args (after --): <file of JSON bodies, one per line> <path> <Authorization value or -> <count>
--
-- Each request takes the next body of the file (so every send goes to another phone number and
-- every verify uses another fresh token). After <count> responses the thread stops, writes
-- BENCH-STOPPED (bench/load.py then interrupts wrk, which prints its summary at once) and
-- done() writes one line: BENCH-RESULT <requests> <elapsed us> <non-2xx> <socket errors>
-- <p50 us> <p99 us>, elapsed measured from the first request to the <count>-th response.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("bench_timespec")

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) * 1000000 + tonumber(timespec.tv_nsec) / 1000
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

local requests, index, responses, limit, started = {}, 0, 0, 0, nil
elapsed_us = 0 -- global: done() reads it with thread:get

function init(args)
  local path, authorization = args[2], args[3]
  limit = tonumber(args[4])
  local headers = { ["Content-Type"] = "application/json" }
  if authorization ~= "-" then
    headers["Authorization"] = authorization
  end
  for body in io.lines(args[1]) do
    requests[#requests + 1] = wrk.format("POST", path, headers, body)
  end
end

function request()
  if not started then
    started = now_us()
  end
  index = index % #requests + 1
  return requests[index]
end

function response(status, headers, body)
  responses = responses + 1
  if responses == limit then
    elapsed_us = now_us() - started
    io.write("BENCH-STOPPED\n")
    io.flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local elapsed = 0
  for _, thread in ipairs(threads) do
    elapsed = math.max(elapsed, thread:get("elapsed_us"))
  end
  local errors = summary.errors
  io.write(string.format("BENCH-RESULT %d %d %d %d %d %d\n", summary.requests, elapsed,
    errors.status, errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50.0), latency:percentile(99.0)))
end

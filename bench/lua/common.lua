-- Shared part of every wrk script the gateway benchmark generates (bench/lib/lua.py).
--
-- The generated prelude sets wrk.method / wrk.body / wrk.headers and two globals:
--   bench_rate_per_thread  requests per second this wrk thread sends; 0 = closed loop
--   bench_label            a name echoed in the JSON report
--
-- Fixed rate: wrk calls delay() before every request on a connection and waits that many
-- milliseconds. Each thread hands out send slots on an absolute schedule (one slot every
-- 1000 / rate ms, from the thread's first request), so rounding to whole milliseconds and
-- response times do not make the rate drift; a connection that comes back late takes the next
-- free slot, and slots missed while every connection was busy are sent as soon as one frees up.
-- wrk measures latency from the moment a request is written, after the delay.
--
-- done() prints one line "BENCH_JSON {...}" with the totals and latency percentiles (microseconds).

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec_t;
int clock_gettime(int clk_id, bench_timespec_t *tp);
]])

local CLOCK_MONOTONIC = 1
local ts = ffi.new("bench_timespec_t")

local function now_ms()
   ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
   return tonumber(ts.tv_sec) * 1000.0 + tonumber(ts.tv_nsec) / 1e6
end

local next_slot = nil

if bench_rate_per_thread ~= nil and bench_rate_per_thread > 0 then
   local interval_ms = 1000.0 / bench_rate_per_thread
   function delay()
      local now = now_ms()
      if next_slot == nil then
         next_slot = now
      end
      local wait = next_slot - now
      next_slot = next_slot + interval_ms
      if wait <= 0 then
         return 0
      end
      return math.floor(wait)
   end
end

local function latency_json(latency)
   local parts = {}
   for _, p in ipairs({ 50, 75, 90, 99, 99.9 }) do
      parts[#parts + 1] = string.format('"%s":%d', tostring(p), latency:percentile(p))
   end
   return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"label":"%s","duration_us":%d,"requests":%d,"bytes":%d,'
         .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
         .. '"latency_us":{"min":%d,"max":%d,"mean":%.1f,"stdev":%.1f,"percentiles":%s}}\n',
      bench_label or "", summary.duration, summary.requests, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.min, latency.max, latency.mean, latency.stdev, latency_json(latency)
   ))
end

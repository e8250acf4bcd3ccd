-- Shared by the bench's wrk scripts (loaded with dofile from each): thread numbering,
-- and a done() that prints one JSON line the harness reads.
--
-- Each wrk thread has its own Lua state; setup() and done() run in another one, which
-- keeps the thread objects so that done() can ask each how far it got.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_number", #threads)
end

function done(summary, latency, requests)
   local used, exhausted = 0, 0
   for _, thread in ipairs(threads) do
      used = used + (thread:get("used") or 0)
      exhausted = exhausted + (thread:get("exhausted") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
      '"connect_errors": %d, "read_errors": %d, "write_errors": %d, ' ..
      '"status_errors": %d, "timeouts": %d, "p50_us": %d, "p95_us": %d, ' ..
      '"p99_us": %d, "max_us": %d, "mean_us": %.1f, "used": %d, "exhausted": %d}\n',
      summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
      e.status, e.timeout, latency:percentile(50), latency:percentile(95),
      latency:percentile(99), latency.max, latency.mean, used, exhausted))
end

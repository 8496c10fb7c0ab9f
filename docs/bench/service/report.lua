-- The one-line summary every scenario prints, read by run.sh; loaded by the scenario scripts (run.sh runs wrk from this folder).
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d req/s=%.0f p50=%.2fms p90=%.2fms p99=%.2fms errors=%d non2xx=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
-- PACE_MS=N: each connection waits N ms after a response before its next request, so that the load is a chosen
-- rate (about connections * 1000 / (N + latency) requests/s) instead of as many as the server can take; wrk
-- times each request from its send, so the pause is not counted as latency.
local pace = tonumber(os.getenv("PACE_MS") or "")
if pace then
  delay = function() return pace end
end

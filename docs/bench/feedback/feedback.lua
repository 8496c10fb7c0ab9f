-- POST /feedback {"id", "label"} for the ids collect.lua kept, each id once: thread N answers $BENCH_DIR/ids-N.txt.
-- Prints RESULT with the 201s counted by the threads themselves (a request cut off at the end is not one of them).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local threads, counter = {}, 0
setup = function(thread)
  counter = counter + 1
  thread:set("index", counter)
  table.insert(threads, thread)
end

-- Globals, not locals: done() reads them from each thread with thread:get.
ids, next_id, created, other = {}, 1, 0, 0
init = function()
  for line in io.lines(string.format("%s/ids-%d.txt", os.getenv("BENCH_DIR") or ".", index)) do
    ids[#ids + 1] = line
  end
end

request = function()
  local id = ids[next_id] or error("out of ids: collect more")
  next_id = next_id + 1
  return wrk.format(nil, "/feedback", nil, '{"id":"' .. id .. '","label":7}')
end

response = function(status)
  if status == 201 then created = created + 1 else other = other + 1 end
end

done = function(summary, latency, requests)
  local total_created, total_other = 0, 0
  for _, thread in ipairs(threads) do
    total_created = total_created + thread:get("created")
    total_other = total_other + thread:get("other")
  end
  io.write(string.format("RESULT requests=%d req/s=%.0f p50=%.2fms p99=%.2fms created=%d other=%d errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    total_created, total_other, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end

-- POST $BENCH_DIR/pixels.json to /predict and keep every answer's id, one file per wrk thread ($BENCH_DIR/ids-N.txt),
-- for feedback.lua to answer.
local f = assert(io.open((os.getenv("BENCH_DIR") or ".") .. "/pixels.json", "rb"), "set BENCH_DIR to the folder gen.py wrote")
wrk.method = "POST"
wrk.body = f:read("*all")
f:close()
wrk.headers["Content-Type"] = "application/json"

local counter = 0
setup = function(thread)
  counter = counter + 1
  thread:set("index", counter)
end

local out
init = function()
  out = assert(io.open(string.format("%s/ids-%d.txt", os.getenv("BENCH_DIR") or ".", index), "w"))
end

response = function(status, headers, body)
  local id = body:match('"id":"(%x+)"')
  if status == 200 and id then
    out:write(id, "\n")
    out:flush()
  end
end

-- POST $BENCH_DIR/pixels.json as application/json (gen.py writes the bodies).
local f = assert(io.open((os.getenv("BENCH_DIR") or ".") .. "/pixels.json", "rb"), "set BENCH_DIR to the folder gen.py wrote")
wrk.method = "POST"
wrk.body = f:read("*all")
f:close()
wrk.headers["Content-Type"] = "application/json"
dofile("report.lua")

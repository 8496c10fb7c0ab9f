-- POST $BENCH_DIR/digit280-rgba-paeth.png as image/png (gen.py writes the bodies).
local f = assert(io.open((os.getenv("BENCH_DIR") or ".") .. "/digit280-rgba-paeth.png", "rb"), "set BENCH_DIR to the folder gen.py wrote")
wrk.method = "POST"
wrk.body = f:read("*all")
f:close()
wrk.headers["Content-Type"] = "image/png"
dofile("report.lua")

-- POST $BENCH_DIR/number1200.png to /predict/sequence (written by: MnistService.Benchmarks number-png FILE).
local f = assert(io.open((os.getenv("BENCH_DIR") or ".") .. "/number1200.png", "rb"), "set BENCH_DIR to the folder holding number1200.png")
wrk.method = "POST"
wrk.path = "/predict/sequence"
wrk.body = f:read("*all")
f:close()
wrk.headers["Content-Type"] = "image/png"
dofile("report.lua")

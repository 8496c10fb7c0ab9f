#!/bin/bash
# Usage: BENCH_DIR=/tmp/fb docs/bench/feedback/run.sh SERVER_PID DB_FILE
# The service (Release) on 127.0.0.1:$PORT with RateLimiting__Enabled=false, Feedback__ConnectionString="Data Source=DB_FILE"
# and room for the ids (Feedback__PredictionMemoryBytes). gen.py (docs/bench/service) writes $BENCH_DIR/pixels.json.
#   1. /predict alone (1 connection, 10 s): its idle p50.
#   2. IDS predictions collected (collect.lua), so every answer has an id of its own.
#   3. 30 s of POST /feedback at saturation (C connections, feedback.lua) while /predict runs on 1 connection beside it.
#   4. The rows in the database and the service's own count against the 201s wrk counted.
PID=$1; DB=$2; PORT=${PORT:-5090}; C=${C:-8}; DUR=${DUR:-30}; COLLECT=${COLLECT:-10}
cd "$(dirname "$0")"
rows() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from feedback').fetchone()[0])" "$DB"; }
stored() { curl -s 127.0.0.1:$PORT/metrics | awk 'index($1, "mnist_feedback_total{")==1 {s+=$2} END {print s+0}'; }
cpu() { awk '{print $14+$15}' /proc/$1/stat; }

predict() { (cd ../service && wrk -t1 -c1 -d$1s -s json.lua http://127.0.0.1:$PORT/predict); }   # json.lua loads report.lua from there
(cd ../service && wrk -t2 -c8 -d10s -s json.lua http://127.0.0.1:$PORT/predict > /dev/null)      # warm-up
echo "idle:      $(predict 10 | grep RESULT) load=$(cut -d' ' -f1 /proc/loadavg)"
rm -f "$BENCH_DIR"/ids-*.txt
wrk -t$C -c$C -d${COLLECT}s -s collect.lua http://127.0.0.1:$PORT/predict > /dev/null
echo "ids:       $(cat "$BENCH_DIR"/ids-*.txt | wc -l) collected"
r0=$(rows); s0=$(stored); c0=$(cpu $PID)
predict $DUR > "$BENCH_DIR/predict-under-load.txt" &
echo "feedback:  $(wrk -t$C -c$C -d${DUR}s -s feedback.lua http://127.0.0.1:$PORT/feedback | grep RESULT) load=$(cut -d' ' -f1 /proc/loadavg)"
wait
c1=$(cpu $PID)
echo "predict:   $(grep RESULT "$BENCH_DIR/predict-under-load.txt") (beside the feedback load)"
sleep 1
echo "rows:      $(( $(rows) - r0 )) new rows, $(( $(stored) - s0 )) answers counted by the service, server CPU $(( (c1 - c0) * 10 )) ms in ${DUR} s"

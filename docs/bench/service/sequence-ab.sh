#!/bin/bash
# Usage: BENCH_DIR=/tmp/bench docs/bench/service/sequence-ab.sh PID_A PORT_A PID_B PORT_B
# Two builds of the service on 127.0.0.1 (A the baseline, B the change), the same model; wrk (2 threads, 16
# connections) posting $BENCH_DIR/number1200.png to /predict/sequence (number.lua), A and B alternating in each of
# ROUNDS (default 5) rounds of DUR (default 8) seconds after a 10 s warm-up each; req/s, p50, p99 and each server's
# CPU time per request (utime + stime from /proc) per run.
PID_A=$1; PORT_A=$2; PID_B=$3; PORT_B=$4; ROUNDS=${ROUNDS:-5}; DUR=${DUR:-8}
cd "$(dirname "$0")"
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
for port in $PORT_A $PORT_B; do wrk -t2 -c16 -d10s -s number.lua "http://127.0.0.1:$port/predict" > /dev/null 2>&1; done
for r in $(seq $ROUNDS); do
  for side in A B; do
    if [ $side = A ]; then pid=$PID_A; port=$PORT_A; else pid=$PID_B; port=$PORT_B; fi
    c0=$(cpu $pid); out=$(wrk -t2 -c16 -d${DUR}s -s number.lua "http://127.0.0.1:$port/predict" 2>&1); c1=$(cpu $pid)
    line=$(echo "$out" | grep RESULT); req=$(echo "$line" | sed 's/.*requests=\([0-9]*\).*/\1/')
    echo "round=$r $side $line cpu_us=$(awk -v c=$((c1-c0)) -v r=$req 'BEGIN{printf "%.0f", c*10000/r}') load=$(cut -d' ' -f1 /proc/loadavg)"
  done
done

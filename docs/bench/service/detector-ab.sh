#!/bin/bash
# Usage: BENCH_DIR=/tmp/bench docs/bench/service/detector-ab.sh SERVER_PID
# What the detector costs /predict: one service on 127.0.0.1:5090 whose model directory holds the default model
# (mnist-mlp) and the same classifier without a detector (nodetector: `train --no-detector`, the same seed and
# recipe); wrk (2 threads, 16 connections) on JSON pixels and the 280x280 PNG, the two models alternating in each
# of ROUNDS (default 6) rounds of DUR (default 8) seconds after a 10 s warm-up each; req/s and the server's CPU
# time per request (utime + stime from /proc) per run.
PID=$1; ROUNDS=${ROUNDS:-6}; DUR=${DUR:-8}
cd "$(dirname "$0")"
cpu() { awk '{print $14+$15}' /proc/$PID/stat; }
for s in json png; do for m in nodetector mnist-mlp; do wrk -t2 -c16 -d10s -s $s.lua "http://127.0.0.1:5090/predict?model=$m" > /dev/null 2>&1; done; done
for r in $(seq $ROUNDS); do
  for s in json png; do
    for m in nodetector mnist-mlp; do
      c0=$(cpu); out=$(wrk -t2 -c16 -d${DUR}s -s $s.lua "http://127.0.0.1:5090/predict?model=$m" 2>&1); c1=$(cpu)
      req=$(echo "$out" | grep RESULT | sed 's/.*requests=\([0-9]*\).*/\1/'); rps=$(echo "$out" | grep RESULT | sed 's/.*req\/s=\([0-9.]*\).*/\1/')
      echo "round=$r $s $m req/s=$rps cpu_us=$(awk -v c=$((c1-c0)) -v r=$req 'BEGIN{printf "%.1f", c*10000/r}') load=$(cut -d' ' -f1 /proc/loadavg)"
    done
  done
done

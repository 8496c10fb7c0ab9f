#!/bin/bash
# Usage: BENCH_DIR=/tmp/bench docs/bench/service/run.sh SERVER_PID  -- wrk (2 threads, 16 connections) per scenario against 127.0.0.1:5090;
# prints req/s, latency, the server's CPU time per request (from /proc), its garbage collections (all generations) and the
# time split from its own Prometheus histograms. DUR (default 10) and WARMUP (default 5) are seconds per scenario.
PID=$1; DUR=${DUR:-10}; WARMUP=${WARMUP:-5}; cd "$(dirname "$0")"  # the .lua scripts are here; BENCH_DIR says where gen.py wrote the inputs
cpu() { awk '{print $14+$15}' /proc/$PID/stat; }
metric() { curl -s 127.0.0.1:5090/metrics | awk -v m="$1" '$1==m {print $2}'; }
metric_sum() { curl -s 127.0.0.1:5090/metrics | awk -v m="$1" 'index($1, m"{")==1 {s+=$2} END {print s+0}'; }
for s in health json png png-paeth; do
  url=http://127.0.0.1:5090/predict; [ $s = health ] && url=http://127.0.0.1:5090/healthz
  wrk -t2 -c16 -d${WARMUP}s -s $s.lua $url > /dev/null 2>&1
  g0=$(metric_sum dotnet_collection_count_total)
  d0=$(metric 'mnist_image_decode_duration_seconds_sum{decoder="png-fast"}'); dn0=$(metric 'mnist_image_decode_duration_seconds_count{decoder="png-fast"}')
  p0=$(metric mnist_preprocess_duration_seconds_sum); i0=$(metric 'mnist_inference_duration_seconds_sum{model="mnist-mlp"}'); in0=$(metric 'mnist_inference_duration_seconds_count{model="mnist-mlp"}')
  c0=$(cpu); out=$(wrk -t2 -c16 -d${DUR}s -s $s.lua $url 2>&1 | grep RESULT); c1=$(cpu); g1=$(metric_sum dotnet_collection_count_total)
  d1=$(metric 'mnist_image_decode_duration_seconds_sum{decoder="png-fast"}'); dn1=$(metric 'mnist_image_decode_duration_seconds_count{decoder="png-fast"}')
  p1=$(metric mnist_preprocess_duration_seconds_sum); i1=$(metric 'mnist_inference_duration_seconds_sum{model="mnist-mlp"}'); in1=$(metric 'mnist_inference_duration_seconds_count{model="mnist-mlp"}')
  req=$(echo "$out" | sed 's/.*requests=\([0-9]*\).*/\1/')
  split=$(awk -v d0=$d0 -v d1=$d1 -v n0=$dn0 -v n1=$dn1 -v p0=$p0 -v p1=$p1 -v i0=$i0 -v i1=$i1 -v m0=$in0 -v m1=$in1 'BEGIN{dn=n1-n0; m=m1-m0; if (dn>0) printf "decode=%.0fus preprocess=%.0fus ", (d1-d0)/dn*1e6, (p1-p0)/dn*1e6; if (m>0) printf "inference=%.0fus", (i1-i0)/m*1e6}')
  echo "$s: $out cpu_per_request=$(awk -v c=$((c1-c0)) -v r=$req 'BEGIN{printf "%.0f", c*10000/r}')us gcs=$((g1-g0)) $split load=$(cut -d' ' -f1 /proc/loadavg)"
done

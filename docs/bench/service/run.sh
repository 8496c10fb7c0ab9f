#!/bin/bash
# Usage: BENCH_DIR=/tmp/bench docs/bench/service/run.sh SERVER_PID
# wrk (2 threads, 16 connections) against the service on 127.0.0.1:5090, per scenario: req/s, latency, the
# server's CPU time per request (from /proc), its garbage collections (all generations) and the time split
# from its own Prometheus histograms.
#   WARMUP (default 20): seconds of full load per scenario before anything is measured. Tiered compilation
#     needs tens of seconds of load to finish on this machine; a 5 s warm-up measured a half-compiled server.
#   ROUNDS (default 3), DUR (default 10): measured rounds, each running every scenario for DUR seconds, so that
#     the machine's drift hits all scenarios alike; the summary gives each scenario's median over the rounds.
#   CONTROL_PID: also measure the control server (tests/MnistService.Benchmarks control-server, on
#     127.0.0.1:5091): the PNG body posted to /work?iterations=CONTROL_ITERATIONS (default 200000), a request
#     that costs CPU and nothing else. Pick the iterations that give it the PNG path's CPU per request.
#   PACE_MS: read by the wrk scripts (report.lua), for a chosen rate instead of saturation.
PID=$1; DUR=${DUR:-10}; WARMUP=${WARMUP:-20}; ROUNDS=${ROUNDS:-3}; CONTROL_ITERATIONS=${CONTROL_ITERATIONS:-200000}
cd "$(dirname "$0")"  # the .lua scripts are here; BENCH_DIR says where gen.py wrote the inputs
scenarios="health json png png-paeth"; [ -n "$CONTROL_PID" ] && scenarios="$scenarios control"
url() { case $1 in health) echo http://127.0.0.1:5090/healthz;; control) echo "http://127.0.0.1:5091/work?iterations=$CONTROL_ITERATIONS";; *) echo http://127.0.0.1:5090/predict;; esac; }
lua() { case $1 in control) echo png.lua;; *) echo $1.lua;; esac; }
pid() { [ $1 = control ] && echo $CONTROL_PID || echo $PID; }
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
metric() { curl -s 127.0.0.1:5090/metrics | awk -v m="$1" '$1==m {print $2}'; }
metric_sum() { curl -s 127.0.0.1:5090/metrics | awk -v m="$1" 'index($1, m"{")==1 {s+=$2} END {print s+0}'; }
split() {  # the service's own decode/preprocess/inference sums and counts
  echo "$(metric 'mnist_image_decode_duration_seconds_sum{decoder="png"}') $(metric 'mnist_image_decode_duration_seconds_count{decoder="png"}')" \
       "$(metric mnist_preprocess_duration_seconds_sum) $(metric 'mnist_inference_duration_seconds_sum{model="mnist-mlp"}')" \
       "$(metric 'mnist_inference_duration_seconds_count{model="mnist-mlp"}')"
}

for s in $scenarios; do wrk -t2 -c16 -d${WARMUP}s -s $(lua $s) "$(url $s)" > /dev/null 2>&1; done

lines=()
for round in $(seq $ROUNDS); do
  for s in $scenarios; do
    p=$(pid $s); g0=$(metric_sum dotnet_collection_count_total); m0=$(split); c0=$(cpu $p)
    out=$(wrk -t2 -c16 -d${DUR}s -s $(lua $s) "$(url $s)" 2>&1 | grep RESULT)
    c1=$(cpu $p); m1=$(split); g1=$(metric_sum dotnet_collection_count_total)
    req=$(echo "$out" | sed 's/.*requests=\([0-9]*\).*/\1/')
    times=$(echo $m0 $m1 | awk '{dn=$7-$2; m=$10-$5; if (dn>0) printf "decode=%.0fus preprocess=%.0fus ", ($6-$1)/dn*1e6, ($8-$3)/dn*1e6; if (m>0) printf "inference=%.0fus", ($9-$4)/m*1e6}')
    gcs=$((g1-g0)); [ $s = control ] && { gcs=-; times=; }
    line="round=$round $s: $out cpu_per_request=$(awk -v c=$((c1-c0)) -v r=$req 'BEGIN{printf "%.0f", c*10000/r}')us gcs=$gcs $times load=$(cut -d' ' -f1 /proc/loadavg)"
    echo "$line"; lines+=("$line")
  done
done

echo "medians over $ROUNDS rounds:"
printf '%s\n' "${lines[@]}" | awk '
  function median(list,   n, a, i, j, t) { n = split(list, a, " "); for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1]+0 > a[j]+0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2 }
  function field(name,   m) { match($0, name "=[0-9.]+"); return substr($0, RSTART + length(name) + 1, RLENGTH - length(name) - 1) }
  { s = $2; sub(":", "", s); if (!(s in seen)) { seen[s] = 1; order[++k] = s }
    rps[s] = rps[s] " " field("req/s"); p50[s] = p50[s] " " field("p50"); p99[s] = p99[s] " " field("p99"); cpu[s] = cpu[s] " " field("cpu_per_request") }
  END { for (i = 1; i <= k; i++) { s = order[i]
          printf "  %-9s req/s=%.0f p50=%.2fms p99=%.2fms cpu_per_request=%.0fus  (p99 by round:%s)\n", s, median(rps[s]), median(p50[s]), median(p99[s]), median(cpu[s]), p99[s] }
        if ("health" in seen && "json" in seen) { n = split(rps["health"], h, " "); split(rps["json"], j, " "); printf "  json/healthz by round:"; for (i = 1; i <= n; i++) printf " %.0f%%", 100 * j[i] / h[i]; print "" } }'

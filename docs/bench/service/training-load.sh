#!/bin/bash
# Usage: BENCH_DIR=/tmp/bench PORT=5092 docs/bench/service/training-load.sh
# /predict latency under a moderate fixed load (wrk, CONNS connections each pausing PACE_MS after every answer),
# idle against while the service trains a job in-process, alternating in ROUNDS rounds of DUR seconds so that
# the machine's drift hits both alike. The job (the tutorial's network on all 60,000 images, 100 epochs)
# starts before a "training" round and is cancelled after it. Needs the service on 127.0.0.1:$PORT with
# Training:Worker InProcess (the default) and the inputs of gen.py in $BENCH_DIR.
PORT=${PORT:-5092}; DUR=${DUR:-10}; ROUNDS=${ROUNDS:-3}; CONNS=${CONNS:-4}; export PACE_MS=${PACE_MS:-10}
BASE=http://127.0.0.1:$PORT
cd "$(dirname "$0")"
load() { wrk -t1 -c$CONNS -d${1}s -s png.lua $BASE/predict 2>&1 | grep RESULT; }
state() { curl -s $BASE/jobs/$1 | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["state"], len(j["history"]))'; }

load 15 > /dev/null  # warm-up: tiered compilation
lines=()
for round in $(seq $ROUNDS); do
  line="round=$round idle: $(load $DUR) load=$(cut -d' ' -f1 /proc/loadavg)"; echo "$line"; lines+=("$line")
  job=$(curl -s -X POST $BASE/jobs -H 'Content-Type: application/json' -d "{\"model\": \"bench-$round-$RANDOM\", \"recipe\": \"tutorial\", \"epochs\": 100, \"patience\": 100}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  until [ "$(state $job | cut -d' ' -f1)" = running ]; do sleep 0.2; done
  sleep 2  # past loading MNIST, into the epochs
  line="round=$round training: $(load $DUR) load=$(cut -d' ' -f1 /proc/loadavg) job=$(state $job)"; echo "$line"; lines+=("$line")
  curl -s -o /dev/null -X DELETE $BASE/jobs/$job
  until [ "$(state $job | cut -d' ' -f1)" = cancelled ]; do sleep 0.2; done
done

echo "medians over $ROUNDS rounds:"
printf '%s\n' "${lines[@]}" | awk '
  function median(list,   n, a, i, j, t) { n = split(list, a, " "); for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1]+0 > a[j]+0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2 }
  function field(name,   m) { match($0, name "=[0-9.]+"); return substr($0, RSTART + length(name) + 1, RLENGTH - length(name) - 1) }
  { s = $2; sub(":", "", s); rps[s] = rps[s] " " field("req/s"); p50[s] = p50[s] " " field("p50"); p90[s] = p90[s] " " field("p90"); p99[s] = p99[s] " " field("p99") }
  END { for (s in rps) printf "  %-9s req/s=%.0f p50=%.2fms p90=%.2fms p99=%.2fms  (p50 by round:%s)\n", s, median(rps[s]), median(p50[s]), median(p90[s]), median(p99[s]), p50[s]
        n = split(p50["idle"], i, " "); split(p50["training"], t, " "); printf "  p50 training/idle by round:"; for (k = 1; k <= n; k++) printf " %.2f", t[k] / i[k]; print "" }'

#!/bin/bash
# The long reliability runs (not part of the default `dotnet test`): the same tests as the default
# suite, raised through environment variables. Figures go to $RELIABILITY_RESULTS/*.json and the
# test output; docs/reliability.md records them. Everything runs on 127.0.0.1 only, bounded in time.
#
#   tests/reliability/run-long.sh            # all of it, about 5 minutes on 2 cores
#   tests/reliability/run-long.sh fuzz load  # some of it: fuzz, decoder, memory, load, shutdown, kills
set -euo pipefail
cd "$(dirname "$0")/../.."
export RELIABILITY_RESULTS=${RELIABILITY_RESULTS:-$(mktemp -d /tmp/mnist-reliability.XXXXXX)}
parts=${*:-fuzz decoder memory load shutdown kills}

echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Results: $RELIABILITY_RESULTS"
dotnet build -c Release tests/MnistService.Api.Tests -v q -nologo | grep -E "error|Warn|Elapsed" || true
dotnet build -c Release tests/MnistService.Reliability.Tests -v q -nologo | grep -E "error|Warn|Elapsed" || true
dotnet build -c Release tests/MnistService.Core.Tests -v q -nologo | grep -E "error|Warn|Elapsed" || true

run() { # project filter
  dotnet test -c Release --no-build "$1" --filter "$2" --logger "console;verbosity=detailed" 2>&1 \
    | grep -vE '^\s*$|^\[xUnit|Serilog' | grep -E 'Passed|Failed|Error|requests|bodies|inputs|Outcomes|Worst|Alone|Peak|Statuses|Answered|Swaps|Working|heap|SIGTERM|SIGKILL|peak|Expected|Actual|at ' || true
}

for part in $parts; do
  case $part in
    fuzz)
      # 100,000 bodies from 280x280 images (canvas size), GIFs of 2,000 frames.
      RELIABILITY_FUZZ_BODIES=${FUZZ_BODIES:-100000} RELIABILITY_FUZZ_SCALE=10 RELIABILITY_FUZZ_GIF_FRAMES=2000 RELIABILITY_FUZZ_SEED=${FUZZ_SEED:-7} \
        run tests/MnistService.Api.Tests "FullyQualifiedName~HostileInputFuzzTests" ;;
    decoder)
      # 300,000 mutated images straight through Core's decoder, each within 500 ms of thread CPU time.
      RELIABILITY_DECODER_FUZZ_INPUTS=${DECODER_INPUTS:-300000} RELIABILITY_DECODER_FUZZ_SEED=${DECODER_SEED:-7} \
        run tests/MnistService.Core.Tests "FullyQualifiedName~DecoderFuzzTests" ;;
    memory)
      # 32 concurrent 4096x4096 images, 5 rounds, against the Release service under a 384 MiB heap limit.
      RELIABILITY_MEMORY_CONCURRENT=32 RELIABILITY_MEMORY_ROUNDS=5 \
        run tests/MnistService.Reliability.Tests "FullyQualifiedName~DecodeMemoryTests" ;;
    load)
      # 75 s, 32 connections, 24 model swaps (6 of each kind) against the Release service as a process.
      RELIABILITY_LOAD_SECONDS=${LOAD_SECONDS:-75} RELIABILITY_LOAD_CONNECTIONS=32 RELIABILITY_LOAD_SWAPS=24 \
        run tests/MnistService.Reliability.Tests "FullyQualifiedName~LoadWithModelSwapsTests" ;;
    shutdown)
      for i in 1 2 3 4 5; do
        RELIABILITY_SHUTDOWN_REQUESTS=64 RELIABILITY_RESULTS=$RELIABILITY_RESULTS/shutdown-$i run tests/MnistService.Reliability.Tests "FullyQualifiedName~ShutdownTests"
      done ;;
    kills)
      RELIABILITY_WORKER_KILLS=${WORKER_KILLS:-30} RELIABILITY_WORKER_SEED=11 \
        run tests/MnistService.Reliability.Tests "FullyQualifiedName~WorkerKillTests" ;;
    *) echo "unknown part $part (fuzz, decoder, memory, load, shutdown, kills)"; exit 2 ;;
  esac
done
echo "Figures: $(ls "$RELIABILITY_RESULTS")"

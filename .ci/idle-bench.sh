#!/usr/bin/env bash
# Idle cost of `onair run` (lights on) and `onair run --no-lights`, side by
# side with a minimal Go program that does the same GET /me/presence over
# TLS every 10 s (cmd/onair-bench/baseline), each against its own fake Graph
# and fake Entra ID: CPU, wake-ups, context switches, RSS, Graph requests per
# hour and response → terminal line latency, as ratios to the baseline
# measured in the same run. Linux only (/proc). See cmd/onair-bench.
#
# Environment: BENCH_IDLE (the window, default 60s), ONAIR (an onair binary
# to measure; default: built here), GO.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
mkdir -p bin
$GO build -trimpath -ldflags '-s -w' -o bin/onair-bench ./cmd/onair-bench
$GO build -trimpath -ldflags '-s -w' -o bin/onair-baseline ./cmd/onair-bench/baseline
if [ -z "${ONAIR:-}" ]; then
  $GO build -trimpath -ldflags '-s -w' -o bin/onair ./cmd/onair
  ONAIR=bin/onair
fi
exec bin/onair-bench idle -onair "$ONAIR" -baseline bin/onair-baseline -duration "${BENCH_IDLE:-60s}"

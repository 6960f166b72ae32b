#!/usr/bin/env bash
# Measures the idle cost of `onair run --demo`: resident memory and CPU time
# over a 60 s window after a 10 s warm-up. Budget (CONTRIBUTING.md, "Tests
# and CI"): RSS <= 20 MB, CPU <= 0.05 % of one core at the default interval,
# for a daemon that runs all day in the background (the demo polls every
# second, so it is a pessimistic stand-in). Linux only (/proc).
set -euo pipefail
cd "$(dirname "$0")/.."
warm=${WARMUP:-10}
window=${WINDOW:-60}
bin=$(mktemp -d)/onair
go build -trimpath -o "$bin" ./cmd/onair
tmp=$(mktemp -d)
# EXTRA_ARGS=--no-lights measures without USB enumeration (every 2 s).
XDG_CONFIG_HOME=$tmp XDG_STATE_HOME=$tmp XDG_RUNTIME_DIR=$tmp "$bin" run --demo --quiet ${EXTRA_ARGS:-} 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$tmp" "$(dirname "$bin")"' EXIT
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14+$15}' "/proc/$pid/stat"; }
sleep "$warm"
c0=$(cpu)
sleep "$window"
c1=$(cpu)
rss_kb=$(awk '/^VmRSS:/{print $2}' "/proc/$pid/status")
hwm_kb=$(awk '/^VmHWM:/{print $2}' "/proc/$pid/status")
awk -v args="run --demo ${EXTRA_ARGS:-}" -v c0="$c0" -v c1="$c1" -v t="$ticks" -v w="$window" -v rss="$rss_kb" -v hwm="$hwm_kb" 'BEGIN {
  cpu = (c1 - c0) / t / w * 100
  printf "idle demo daemon (%s) after %ds: RSS %.1f MB (peak %.1f MB), CPU %.3f%% of one core (%d ticks in %ds)\n", args, w, rss/1024, hwm/1024, cpu, c1-c0, w
  if (rss/1024 > 20) { print "over budget: RSS > 20 MB"; exit 1 }
}'

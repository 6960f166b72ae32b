#!/usr/bin/env bash
# e2e.sh runs the USB/IP end-to-end suite: every emulated busy light is
# attached to a QEMU guest and driven through the real devices/hid transport
# (karalabe/hid → libusb → vhci_hcd → devices/usbip emulator on loopback).
# It fetches the assets first (cached; see e2e-assets.sh), requires the suite
# to run (ONAIR_REQUIRE_E2E=1 turns a missing asset into a failure), and
# prints the per-light scenario table.
#
# Usage: .ci/e2e.sh [extra go test flags]
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

t0=$(date +%s)
bash .ci/e2e-assets.sh
t1=$(date +%s)

summary=$(mktemp)
log=$(mktemp)
trap 'rm -f "$summary" "$log"' EXIT

status=0
ONAIR_REQUIRE_E2E=1 ONAIR_E2E_SUMMARY="$summary" \
	go test -count=1 -timeout 10m -run 'E2E' -v "$@" ./devices/usbip/... >"$log" 2>&1 || status=$?
t2=$(date +%s)

# Keep CI logs readable: subtest results and failures, not every request.
grep -E '^(=== RUN|\s*--- (PASS|FAIL|SKIP)|PASS|FAIL|ok|panic)|e2e_test.go|bench_test.go' "$log" | grep -v '^=== RUN' || true
if [ "$status" -ne 0 ]; then
	echo
	echo "e2e: FAILED (exit $status); full log follows"
	cat "$log"
fi

echo
echo "== e2e scenarios per light =="
if [ -s "$summary" ]; then
	cat "$summary"
else
	echo "(no summary: the suite did not get as far as booting the guest)"
fi
echo "assets $((t1 - t0)) s, suite $((t2 - t1)) s"
exit "$status"

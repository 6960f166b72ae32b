#!/usr/bin/env bash
# go test -exec wrapper: runs a Windows test binary under Wine.
#
# GOROOT and ZONEINFO are dropped because Wine passes the Unix environment
# through, and either would let time.LoadLocation find zoneinfo on the Linux
# host: the binary must work as on a Windows machine without Go installed.
set -euo pipefail
unset GOROOT ZONEINFO
exec wine "$@"

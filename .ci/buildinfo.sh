#!/usr/bin/env bash
# The one place that decides what `onair version` says. Sourced by
# cross.sh, dist.sh and release-macos.sh; run as `buildinfo.sh --ldflags` by
# the Makefile. VERSION, COMMIT and DATE from the environment win, so one
# `make dist` stamps every binary and package alike.
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
COMMIT=${COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
DATE=${DATE:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}
LDFLAGS="-s -w -X main.version=$VERSION -X main.commit=$COMMIT -X main.date=$DATE"
if [ "${1:-}" = --ldflags ]; then
  printf '%s\n' "$LDFLAGS"
fi

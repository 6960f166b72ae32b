#!/usr/bin/env bash
# Prepares the Wine lane of `make test-windows` (.ci/windows/run-tests.sh):
# builds the ProcessPrng shim (bcryptprimitives.c) with mingw-w64, creates a
# 64-bit WINEPREFIX headless (no X server: wineboot needs none) and installs
# the shim into its system32. Idempotent: a second run only checks.
#
# Source it or run it; it honours and exports WINEPREFIX (default
# ~/.cache/onair/wine). Debian packages: wine wine64 gcc-mingw-w64-x86-64.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

export WINEPREFIX=${WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/onair/wine}
export WINEARCH=win64
export WINEDEBUG=${WINEDEBUG:--all}
# No Mono or Gecko: nothing here needs .NET or a browser engine, and
# wineboot would otherwise ask to download them.
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-"mscoree,mshtml="}

for tool in wine wineboot wineserver x86_64-w64-mingw32-gcc; do
  command -v "$tool" >/dev/null || { echo "setup.sh: $tool not found (Debian: apt-get install wine wine64 gcc-mingw-w64-x86-64)" >&2; exit 1; }
done

dll="$WINEPREFIX/onair-shim/bcryptprimitives.dll"
mkdir -p "$WINEPREFIX/onair-shim"
if [ ! -f "$dll" ] || [ "$here/bcryptprimitives.c" -nt "$dll" ] || [ "$here/bcryptprimitives.def" -nt "$dll" ]; then
  x86_64-w64-mingw32-gcc -O2 -shared -o "$dll" \
    "$here/bcryptprimitives.c" "$here/bcryptprimitives.def" -lbcrypt
fi

if [ ! -f "$WINEPREFIX/system.reg" ]; then
  echo "setup.sh: creating $WINEPREFIX (wineboot, about a minute)"
  wineboot --init >/dev/null 2>&1 || true
  wineserver -w
  [ -f "$WINEPREFIX/system.reg" ] || { echo "setup.sh: wineboot did not create $WINEPREFIX" >&2; exit 1; }
fi
sys32="$WINEPREFIX/drive_c/windows/system32"
cmp -s "$dll" "$sys32/bcryptprimitives.dll" || cp "$dll" "$sys32/bcryptprimitives.dll"

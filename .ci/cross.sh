#!/usr/bin/env bash
# Cross-build onair for every platform it ships on, into bin/cross/<os>_<arch>/.
#
#   linux/amd64, linux/arm64 (Raspberry Pi OS 64-bit)  cgo: USB lights through karalabe/hid
#   windows/amd64                                      cgo through mingw-w64: USB lights
#   darwin/amd64, darwin/arm64                         CGO_ENABLED=0: no macOS cross compiler
#                                                      on Debian, so no USB support
#                                                      (`onair version` says so); build
#                                                      natively on a Mac for USB.
#
# Debian packages for the C cross compilers: gcc-aarch64-linux-gnu
# libc6-dev-arm64-cross gcc-mingw-w64-x86-64 (and gcc for the host). A missing
# compiler is an error, never a silently dropped target.
#
# Environment: VERSION, COMMIT, DATE (stamped into `onair version`), GO,
# TARGETS (default: all of the above, e.g. TARGETS="linux/arm64").
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
COMMIT=${COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
DATE=${DATE:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}
TARGETS=${TARGETS:-"linux/amd64 linux/arm64 windows/amd64 darwin/amd64 darwin/arm64"}
OUT=bin/cross
LDFLAGS="-s -w -X main.version=$VERSION -X main.commit=$COMMIT -X main.date=$DATE"
hostarch=$($GO env GOHOSTARCH)

# cc prints the C compiler for a cgo target, or nothing for a no-cgo one.
cc() {
  case "$1/$2" in
    linux/*)
      if [ "$2" = "$hostarch" ]; then echo gcc; return; fi
      case "$2" in
        amd64) echo x86_64-linux-gnu-gcc ;;
        arm64) echo aarch64-linux-gnu-gcc ;;
        *) echo "cross.sh: no C cross compiler known for linux/$2" >&2; return 1 ;;
      esac ;;
    windows/amd64) echo x86_64-w64-mingw32-gcc ;;
    darwin/*) echo "" ;;
    *) echo "cross.sh: unknown target $1/$2" >&2; return 1 ;;
  esac
}

pkg_for() {
  case "$1" in
    aarch64-linux-gnu-gcc) echo "gcc-aarch64-linux-gnu libc6-dev-arm64-cross" ;;
    x86_64-linux-gnu-gcc) echo "gcc-x86-64-linux-gnu libc6-dev-amd64-cross" ;;
    x86_64-w64-mingw32-gcc) echo "gcc-mingw-w64-x86-64" ;;
    *) echo "gcc" ;;
  esac
}

rm -rf "$OUT"
mkdir -p "$OUT"
printf 'VERSION=%s\nCOMMIT=%s\nDATE=%s\n' "$VERSION" "$COMMIT" "$DATE" >"$OUT/BUILDINFO"
for t in $TARGETS; do
  os=${t%/*} arch=${t#*/}
  compiler=$(cc "$os" "$arch")
  exe=onair
  [ "$os" = windows ] && exe=onair.exe
  dir="$OUT/${os}_${arch}"
  mkdir -p "$dir"
  start=$(date +%s)
  if [ -n "$compiler" ]; then
    if ! command -v "$compiler" >/dev/null; then
      echo "cross.sh: $t needs the C compiler $compiler for USB support (cgo); install: apt-get install $(pkg_for "$compiler")" >&2
      exit 1
    fi
    # PIE on Linux: ASLR for a long-running daemon (Debian's hardening
    # check, lintian hardening-no-pie); Windows and macOS are PIE already.
    mode=()
    [ "$os" = linux ] && mode=(-buildmode=pie)
    CGO_ENABLED=1 GOOS=$os GOARCH=$arch CC=$compiler \
      $GO build -trimpath "${mode[@]}" -ldflags "$LDFLAGS" -o "$dir/$exe" ./cmd/onair
    cgo=1
  else
    CGO_ENABLED=0 GOOS=$os GOARCH=$arch \
      $GO build -trimpath -ldflags "$LDFLAGS" -o "$dir/$exe" ./cmd/onair
    cgo=0
  fi
  # The binary must say what it was built with: a cgo target that quietly
  # fell back to CGO_ENABLED=0 would ship without USB support.
  got=$($GO version -m "$dir/$exe" | awk '$2=="CGO_ENABLED"{split($3,a,"=");print a[2]}')
  got=${got:-$($GO version -m "$dir/$exe" | sed -n 's/.*CGO_ENABLED=\([01]\).*/\1/p' | head -1)}
  if [ "$got" != "$cgo" ]; then
    echo "cross.sh: $t: built with CGO_ENABLED=$got, want $cgo" >&2
    exit 1
  fi
  usb=yes; [ "$cgo" = 0 ] && usb="no (CGO_ENABLED=0; build natively on the OS for USB)"
  printf '%-14s %9s bytes  %3ss  usb: %s\n' "$t" "$(stat -c %s "$dir/$exe")" "$(( $(date +%s) - start ))" "$usb"
done

# The host's binary can run: check what it reports.
hostdir="$OUT/$($GO env GOHOSTOS)_$hostarch"
if [ -x "$hostdir/onair" ]; then
  "$hostdir/onair" version
fi

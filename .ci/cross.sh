#!/usr/bin/env bash
# Cross-build onair for every platform it ships on, into bin/cross/<os>_<arch>/.
#
#   linux/amd64, linux/arm64 (Raspberry Pi OS 64-bit)  cgo: USB lights through karalabe/hid
#   linux/arm (Raspberry Pi OS 32-bit, armhf)          cgo, GOARM=6 and ARMv6 C flags (below)
#   windows/amd64                                      cgo through mingw-w64: USB lights
#   darwin/amd64, darwin/arm64                         CGO_ENABLED=0: no macOS cross compiler
#                                                      on Debian, so no USB support
#                                                      (`onair version` says so); build
#                                                      natively on a Mac for USB.
#
# Debian packages for the C cross compilers: gcc-aarch64-linux-gnu
# libc6-dev-arm64-cross gcc-arm-linux-gnueabihf libc6-dev-armhf-cross
# gcc-mingw-w64-x86-64 (and gcc for the host). A missing compiler is an
# error, never a silently dropped target.
#
# linux/arm: Raspberry Pi OS's 32-bit armhf is ARMv6 + VFP (for the Pi Zero
# and Pi 1), while Debian's armhf cross compiler targets ARMv7 + Thumb-2. Go
# code is built with GOARM=6 and onair's C code (hidapi, libusb) with
# -march=armv6 -mfpu=vfp -mfloat-abi=hard -marm, but the external link adds
# Debian's own start files and libgcc (Scrt1.o, crti.o, crtbeginS.o,
# libc_nonshared.a, libgcc.a), which are ARMv7 Thumb-2 code: readelf -A on
# the binary says Tag_CPU_arch: v7. So this binary runs on ARMv7 and newer
# (Pi 2, 3, 4, 5, Zero 2 with a 32-bit OS), not on a Pi Zero or Pi 1. Go's
# internal linker, which would leave those files out, cannot link
# karalabe/hid's objects on arm (section-anchor and libgcc relocations). An
# ARMv6 build needs an ARMv6 C runtime: build on a Pi or in a Raspberry Pi
# OS armhf root. The script prints the attributes so a change shows.
#
# Environment: VERSION, COMMIT, DATE (stamped into `onair version`), GO,
# TARGETS (default: all of the above, e.g. TARGETS="linux/arm64").
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
. "$(dirname "$0")/buildinfo.sh"
TARGETS=${TARGETS:-"linux/amd64 linux/arm64 linux/arm windows/amd64 darwin/amd64 darwin/arm64"}
OUT=bin/cross
hostarch=$($GO env GOHOSTARCH)

# cc prints the C compiler for a cgo target, or nothing for a no-cgo one.
cc() {
  case "$1/$2" in
    linux/*)
      if [ "$2" = "$hostarch" ]; then echo gcc; return; fi
      case "$2" in
        amd64) echo x86_64-linux-gnu-gcc ;;
        arm64) echo aarch64-linux-gnu-gcc ;;
        arm) echo arm-linux-gnueabihf-gcc ;;
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
    arm-linux-gnueabihf-gcc) echo "gcc-arm-linux-gnueabihf libc6-dev-armhf-cross" ;;
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
    armenv=()
    [ "$os/$arch" = linux/arm ] && armenv=(GOARM=6 "CGO_CFLAGS=-O2 -g -march=armv6 -mfpu=vfp -mfloat-abi=hard -marm")
    env CGO_ENABLED=1 GOOS=$os GOARCH=$arch CC=$compiler "${armenv[@]}" \
      $GO build -trimpath "${mode[@]}" -ldflags "$LDFLAGS" -o "$dir/$exe" ./cmd/onair
    if [ "$os/$arch" = linux/arm ]; then
      cpu=$(readelf -A "$dir/$exe" | sed -n 's/.*Tag_CPU_arch: *//p' | head -1)
      fp=$(readelf -A "$dir/$exe" | sed -n 's/.*Tag_FP_arch: *//p' | head -1)
      vfp=$(readelf -A "$dir/$exe" | sed -n 's/.*Tag_ABI_VFP_args: *//p' | head -1)
      echo "linux/arm: readelf -A: Tag_CPU_arch $cpu, Tag_FP_arch $fp, Tag_ABI_VFP_args $vfp (see the top of .ci/cross.sh)"
      case "$cpu" in
        v6*|v7) ;;
        *) echo "cross.sh: $t: Tag_CPU_arch $cpu, want v6 or v7 (32-bit Raspberry Pi OS)" >&2; exit 1 ;;
      esac
      [ "$vfp" = "VFP registers" ] || { echo "cross.sh: $t: not hard-float (Tag_ABI_VFP_args $vfp); armhf needs it" >&2; exit 1; }
    fi
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

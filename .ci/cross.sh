#!/usr/bin/env bash
# Cross-build onair for every platform it ships on, into bin/cross/<os>_<arch>/.
#
#   linux/amd64, linux/arm64 (Raspberry Pi OS 64-bit)  cgo: USB lights through karalabe/hid
#   linux/arm (Raspberry Pi OS 32-bit, every Pi)       cgo, ARMv6, static (below)
#   windows/amd64                                      cgo through mingw-w64: USB lights
#   darwin/amd64, darwin/arm64                         CGO_ENABLED=0: no macOS cross compiler
#                                                      on Debian, so no USB support
#                                                      (`onair version` says so); build
#                                                      natively on a Mac for USB.
#
# Debian packages for the C cross compilers: gcc-aarch64-linux-gnu
# libc6-dev-arm64-cross gcc-arm-linux-gnueabi libc6-dev-armel-cross
# gcc-mingw-w64-x86-64 (and gcc for the host). A missing compiler is an
# error, never a silently dropped target.
#
# linux/arm must run on the Pi Zero and Pi 1 (ARM1176JZF-S: ARMv6 with VFPv2,
# no Thumb-2), which 32-bit Raspberry Pi OS (armhf) still supports. Debian's
# armhf cross toolchain cannot build for them: whatever -march the C code
# gets, the link adds Debian armhf's start files, libc_nonshared.a and
# libgcc.a, which are ARMv7 Thumb-2 code (readelf -A: Tag_CPU_arch v7,
# Tag_THUMB_ISA_use Thumb-2), and Debian armhf's dynamic loader is ARMv7 too.
# So linux/arm is built with Debian's armel toolchain (arm-linux-gnueabi-gcc,
# whose crt files, libc.a and libgcc.a are ARMv5TE, ARM and Thumb-1 only),
# with GOARM=6 and -march=armv6 -mfpu=vfp -mfloat-abi=softfp -marm for
# hidapi and libusb, and linked statically (-extldflags -static; netgo and
# osusergo so that Go's net and os/user need no glibc NSS modules at run
# time). A static binary needs no loader, so its soft-float calling
# convention never meets the system's hard-float libraries: the one binary
# runs on Raspberry Pi OS armhf on every Pi (Zero, 1, 2, 3, 4, 5, Zero 2)
# and on Debian armhf (ARMv7 and newer). It is not PIE: Debian's armel glibc
# has no static-PIE start file (-static-pie: "cannot find rcrt1.o"), and
# -buildmode=pie with -static gives a plain executable anyway. It contains
# glibc (LGPL-2.1-or-later) and libgcc (GPL with the GCC Runtime Library
# Exception): THIRD_PARTY_NOTICES.md says where their source is.
# The script checks the ELF attributes (an ARMv6 CPU, no Thumb-2, at most
# VFPv2, no NEON) and that there is no program interpreter, and fails
# otherwise; .ci/qemu-user.sh runs it on an emulated ARM1176.
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
        arm) echo arm-linux-gnueabi-gcc ;; # armel: ARMv5TE runtime, see the top
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
    arm-linux-gnueabi-gcc) echo "gcc-arm-linux-gnueabi libc6-dev-armel-cross" ;;
    x86_64-linux-gnu-gcc) echo "gcc-x86-64-linux-gnu libc6-dev-amd64-cross" ;;
    x86_64-w64-mingw32-gcc) echo "gcc-mingw-w64-x86-64" ;;
    *) echo "gcc" ;;
  esac
}

# check_armv6 BIN: fails unless BIN runs on an ARM1176 (Pi Zero, Pi 1) with
# no loader. readelf -A gives the merged build attributes of every object
# linked in, so one ARMv7 or Thumb-2 object would show here. The
# ARM1176JZF-S is ARMv6KZ with VFPv2 and Thumb-1 only (ARM1176JZF-S
# Technical Reference Manual, ARM DDI 0301; GCC's -mcpu=arm1176jzf-s is
# -march=armv6kz).
check_armv6() {
  local attrs cpu thumb fp simd
  attrs=$(readelf -A "$1")
  cpu=$(sed -n 's/.*Tag_CPU_arch: *//p' <<<"$attrs" | head -1)
  thumb=$(sed -n 's/.*Tag_THUMB_ISA_use: *//p' <<<"$attrs" | head -1)
  fp=$(sed -n 's/.*Tag_FP_arch: *//p' <<<"$attrs" | head -1)
  simd=$(sed -n 's/.*Tag_Advanced_SIMD_arch: *//p' <<<"$attrs" | head -1)
  echo "linux/arm: readelf -A: Tag_CPU_arch ${cpu:-none}, Tag_THUMB_ISA_use ${thumb:-none}, Tag_FP_arch ${fp:-none}, Tag_Advanced_SIMD_arch ${simd:-none}"
  case "$cpu" in
    v4|v4T|v5T|v5TE|v5TEJ|v6|v6K|v6KZ) ;;
    *) echo "cross.sh: linux/arm: Tag_CPU_arch ${cpu:-none}, want ARMv6KZ or older (v6, v5TE...): a Pi Zero or Pi 1 cannot run it (see the top of .ci/cross.sh)" >&2; return 1 ;;
  esac
  case "$thumb" in
    ""|Thumb-1) ;;
    *) echo "cross.sh: linux/arm: Tag_THUMB_ISA_use $thumb, want Thumb-1 or none: the ARM1176 has no Thumb-2" >&2; return 1 ;;
  esac
  case "$fp" in
    ""|VFPv1|VFPv2) ;;
    *) echo "cross.sh: linux/arm: Tag_FP_arch $fp, want VFPv2 or none: the ARM1176 has VFPv2" >&2; return 1 ;;
  esac
  [ -z "$simd" ] || { echo "cross.sh: linux/arm: Tag_Advanced_SIMD_arch $simd: the ARM1176 has no NEON" >&2; return 1; }
  if readelf -lW "$1" | grep -q 'INTERP' || readelf -dW "$1" | grep -q NEEDED; then
    echo "cross.sh: linux/arm: dynamically linked; it must be static (no loader of the right ABI on every 32-bit Pi)" >&2
    return 1
  fi
  echo "linux/arm: static (no program interpreter, no NEEDED libraries)"
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
    # linux/arm is static and not PIE (see the top).
    mode=()
    [ "$os" = linux ] && [ "$arch" != arm ] && mode=(-buildmode=pie)
    armenv=() tags=() ldflags=$LDFLAGS
    if [ "$os/$arch" = linux/arm ]; then
      armenv=(GOARM=6 "CGO_CFLAGS=-O2 -g -march=armv6 -mfpu=vfp -mfloat-abi=softfp -marm")
      tags=(-tags netgo,osusergo)
      ldflags="$LDFLAGS -linkmode external -extldflags -static"
    fi
    env CGO_ENABLED=1 GOOS=$os GOARCH=$arch CC=$compiler "${armenv[@]}" \
      $GO build -trimpath "${mode[@]}" "${tags[@]}" -ldflags "$ldflags" -o "$dir/$exe" ./cmd/onair
    if [ "$os/$arch" = linux/arm ]; then
      check_armv6 "$dir/$exe" || exit 1
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

#!/usr/bin/env bash
# qemu-user.sh runs every Linux binary that .ci/cross.sh built, each under
# Debian's qemu-user-static for its architecture (the host's own natively):
#   - `onair version` must say `usb: yes` (a cgo build with libusb);
#   - `onair run --demo` must print its first states: the script reads the
#     daemon's stdout until it has seen WANT lines (or fails after TIMEOUT
#     seconds) and then stops the daemon;
#   - it prints the newest glibc symbol version each binary needs (the oldest
#     glibc it runs on) and, for linux/arm, the ELF CPU attributes.
# linux/arm runs on the CPU of the Pi Zero and Pi 1 (qemu -cpu arm1176:
# ARMv6, VFPv2, no Thumb-2), the oldest 32-bit Pi it ships for, and must be
# static (no program interpreter): see the top of .ci/cross.sh. A binary
# built with Debian's armhf toolchain dies there with SIGILL, so the
# emulated CPU does tell the two apart.
#
# Usage: .ci/qemu-user.sh [DIR]   (default bin/cross)
# Needs: qemu-user-static; the cross libcs of cross.sh for the dynamic
# loader of the dynamic binaries (libc6-dev-arm64-cross, and
# libc6-dev-amd64-cross on a non-amd64 host), found with -L /usr/<triplet>.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=${1:-bin/cross}
WANT=${WANT:-3}        # demo states to see
TIMEOUT=${TIMEOUT:-90} # seconds for them, generous for emulation on a busy machine
hostarch=$(uname -m)

for tool in objdump readelf; do
  command -v "$tool" >/dev/null || { echo "qemu-user.sh: $tool not found (apt-get install binutils)" >&2; exit 1; }
done

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

failed=0
for plat in linux_amd64 linux_arm64 linux_arm; do
  bin="$DIR/$plat/onair"
  if [ ! -x "$bin" ]; then
    echo "qemu-user.sh: $bin missing (run .ci/cross.sh)" >&2
    failed=1
    continue
  fi
  case "$plat" in
    linux_amd64) machine=x86_64 qemu=qemu-x86_64-static triplet=x86_64-linux-gnu ;;
    linux_arm64) machine=aarch64 qemu=qemu-aarch64-static triplet=aarch64-linux-gnu ;;
    linux_arm) machine="" qemu=qemu-arm-static triplet="" ;; # always emulated, see below
  esac
  runner=()
  if [ -n "$machine" ] && [ "$machine" != "$hostarch" ]; then
    command -v "$qemu" >/dev/null || { echo "qemu-user.sh: $qemu not found (apt-get install qemu-user-static)" >&2; exit 1; }
    [ -d "/usr/$triplet/lib" ] || { echo "qemu-user.sh: /usr/$triplet/lib missing: the dynamic loader for $plat (apt-get install libc6-dev-${triplet%%-*}-cross)" >&2; exit 1; }
    runner=("$qemu" -L "/usr/$triplet")
  fi

  if [ "$plat" = linux_arm ]; then
    # The Pi Zero's and Pi 1's CPU, whatever the host is (an armv7l or
    # aarch64 host would run it natively, proving nothing about ARMv6).
    command -v "$qemu" >/dev/null || { echo "qemu-user.sh: $qemu not found (apt-get install qemu-user-static)" >&2; exit 1; }
    runner=("$qemu" -cpu arm1176)
    if readelf -lW "$bin" | grep -q INTERP; then
      echo "qemu-user.sh: $plat: has a program interpreter ($(readelf -lW "$bin" | sed -n 's/.*interpreter: \(.*\)]/\1/p')); it must be static (see .ci/cross.sh)" >&2
      failed=1
      continue
    fi
    echo "== $plat (${runner[*]}): static, no program interpreter: needs no glibc on the Pi"
    readelf -A "$bin" | grep -E 'Tag_CPU_arch:|Tag_THUMB_ISA_use|Tag_FP_arch' | sed 's/^ */   /'
  else
    glibc=$(objdump -T "$bin" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -Vu | tail -1)
    echo "== $plat (${runner[0]:-native}): needs glibc >= ${glibc:-?}"
  fi

  # Keep the run away from the user's config, tokens and sockets.
  home="$tmp/$plat"
  mkdir -p "$home"
  runenv=(env -i PATH=/usr/bin:/bin HOME="$home" XDG_CONFIG_HOME="$home/config" XDG_STATE_HOME="$home/state" XDG_RUNTIME_DIR="$home")

  version=$("${runenv[@]}" "${runner[@]}" "$bin" version) || { echo "qemu-user.sh: $plat: onair version failed" >&2; failed=1; continue; }
  printf '%s\n' "$version" | sed 's/^/   /'
  if ! printf '%s\n' "$version" | grep -Eq '^usb: +yes$'; then
    echo "qemu-user.sh: $plat: onair version does not say 'usb: yes'" >&2
    failed=1
  fi

  # onair run --demo: read its stdout line by line until WANT states came.
  fifo="$tmp/$plat.out"
  mkfifo "$fifo"
  "${runenv[@]}" "${runner[@]}" "$bin" run --demo >"$fifo" 2>"$tmp/$plat.err" &
  pid=$!
  pids+=("$pid")
  exec 3<"$fifo"
  seen=0
  deadline=$((SECONDS + TIMEOUT))
  while [ "$seen" -lt "$WANT" ]; do
    left=$((deadline - SECONDS))
    [ "$left" -gt 0 ] || break
    IFS= read -r -t "$left" line <&3 || break
    seen=$((seen + 1))
    printf '   demo: %s\n' "$line"
  done
  exec 3<&-
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ "$seen" -lt "$WANT" ]; then
    echo "qemu-user.sh: $plat: onair run --demo printed $seen of $WANT states in ${TIMEOUT}s; its stderr:" >&2
    sed 's/^/   /' "$tmp/$plat.err" >&2
    failed=1
  fi
done

if [ "$failed" = 1 ]; then
  echo "qemu-user.sh: FAILED" >&2
  exit 1
fi
echo "qemu-user.sh: every Linux binary runs: usb: yes, demo states printed"

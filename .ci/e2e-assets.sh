#!/usr/bin/env bash
# e2e-assets.sh fetches and caches what the USB/IP end-to-end test needs:
#   - qemu-system-x86 and busybox-static (apt, only if missing)
#   - a pinned Debian kernel package (KERNEL_* below), checked against its
#     sha256, unpacked to an ELF vmlinux for a PVH boot, plus the 12 modules
#     the guest loads.
# The test itself never downloads anything: it reads the cache directory
# (ONAIR_E2E_ASSETS, default <repo>/.cache/e2e) and skips if it is incomplete.
# Re-running is cheap: the kernel is fetched again only when the pin changes.
#
# The kernel is pinned so that the suite is reproducible: a new Debian kernel
# cannot change what the guest does between two runs of the same commit.
# Debian drops old kernel .debs from the mirror some time after a point
# release; then apt-get download fails and this script says how to bump:
#   .ci/e2e-assets.sh --print-pin    prints the KERNEL_* lines for the kernel
#                                    linux-image-amd64 points at today (from
#                                    apt's index; nothing is downloaded)
# Every version stays on https://snapshot.debian.org.
set -euo pipefail

# The pin: bump these three lines together (--print-pin writes them).
KERNEL_PACKAGE=linux-image-6.1.0-50-amd64
KERNEL_VERSION=6.1.176-1
KERNEL_SHA256=7b5597492a0a65aee61985a492e6bcc3f2cde830072a0e3b3d8c7e1b90279bd3

repo=$(cd "$(dirname "$0")/.." && pwd)
assets=${ONAIR_E2E_ASSETS:-$repo/.cache/e2e}
mkdir -p "$assets"
assets=$(cd "$assets" && pwd)

# Load order matters (virtio_ring before virtio, failover before net_failover).
modules=(usb-common usbcore usbip-core vhci-hcd virtio_ring virtio
	virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover
	net_failover virtio_net)

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=
apt_update_once() {
	if [ -z "$apt_updated" ]; then
		sudo_ apt-get update -qq
		apt_updated=1
	fi
}

# print_pin prints the KERNEL_* lines for the kernel linux-image-amd64
# depends on in apt's current index, with the .deb's SHA256 from that index.
print_pin() {
	local pkg ver sha
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
	[ -n "$pkg" ] || { echo "e2e-assets: apt does not know linux-image-amd64; run apt-get update" >&2; return 1; }
	ver=$(apt-cache policy "$pkg" | awk '/Candidate:/{print $2}')
	sha=$(apt-cache show "$pkg=$ver" | awk '/^SHA256:/{print $2; exit}')
	printf 'KERNEL_PACKAGE=%s\nKERNEL_VERSION=%s\nKERNEL_SHA256=%s\n' "$pkg" "$ver" "$sha"
}

case "${1:-}" in
--print-pin) print_pin; exit ;;
"") ;;
*) echo "usage: $0 [--print-pin]" >&2; exit 2 ;;
esac

start=$(date +%s)

# 1. Host packages.
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx insmod || need+=(busybox-static)
if ! file -L /bin/busybox 2>/dev/null | grep -q 'statically linked'; then
	# A dynamic busybox (package "busybox") cannot run in the initramfs.
	case " ${need[*]} " in *" busybox-static "*) ;; *) need+=(busybox-static) ;; esac
fi
if [ ${#need[@]} -gt 0 ]; then
	echo "e2e-assets: installing ${need[*]}"
	apt_update_once
	sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
cp -f /bin/busybox "$assets/busybox"

# 2. Kernel: the pinned package, nothing else.
kpkg=$KERNEL_PACKAGE
pin="$KERNEL_PACKAGE $KERNEL_VERSION $KERNEL_SHA256"

have_all() {
	[ -s "$assets/vmlinux" ] && [ "$(cat "$assets/kernel-pin" 2>/dev/null)" = "$pin" ] || return 1
	for m in "${modules[@]}"; do [ -s "$assets/modules/$m.ko" ] || return 1; done
	[ -s "$assets/modules.order" ]
}

if have_all; then
	echo "e2e-assets: $kpkg already cached in $assets"
else
	echo "e2e-assets: fetching $kpkg $KERNEL_VERSION"
	tmp=$(mktemp -d)
	chmod 755 "$tmp" # apt-get download runs as _apt and must write here
	trap 'rm -rf "$tmp"' EXIT
	if ! (cd "$tmp" && apt-get download -qq "$kpkg=$KERNEL_VERSION" 2>/dev/null); then
		apt_update_once
		if ! (cd "$tmp" && apt-get download -qq "$kpkg=$KERNEL_VERSION"); then
			echo "e2e-assets: the pinned kernel $kpkg $KERNEL_VERSION is not on the apt mirror any more." >&2
			echo "  Bump the KERNEL_* lines at the top of .ci/e2e-assets.sh to the kernel Debian ships now;" >&2
			echo "  .ci/e2e-assets.sh --print-pin prints them. The old .deb stays on" >&2
			echo "  https://snapshot.debian.org/binary/$kpkg/ ." >&2
			exit 1
		fi
	fi
	deb=$(ls "$tmp"/*.deb)
	got=$(sha256sum "$deb" | cut -d' ' -f1)
	if [ "$got" != "$KERNEL_SHA256" ]; then
		echo "e2e-assets: $(basename "$deb") has sha256 $got, but the pin in .ci/e2e-assets.sh says $KERNEL_SHA256; refusing to use it (check the pin with: apt-cache show $kpkg=$KERNEL_VERSION | grep SHA256)" >&2
		exit 1
	fi
	pats=('*/vmlinuz-*')
	for m in "${modules[@]}"; do pats+=("*/$m.ko" "*/$m.ko.xz" "*/$m.ko.zst"); done
	mkdir "$tmp/root"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/root" --wildcards "${pats[@]}" 2>/dev/null || true
	vmlinuz=$(find "$tmp/root" -name 'vmlinuz-*' | head -n1)
	[ -n "$vmlinuz" ] || { echo "e2e-assets: no vmlinuz in $deb" >&2; exit 1; }

	# The bzImage payload is xz (CONFIG_KERNEL_XZ); unpack it the way the
	# kernel's scripts/extract-vmlinux does. xz exits 1 because of trailing
	# data, so check for the ELF magic instead of the exit code.
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | head -n1 | cut -d: -f1)
	[ -n "$off" ] || { echo "e2e-assets: no xz payload in $vmlinuz" >&2; exit 1; }
	tail -c +$((off + 1)) "$vmlinuz" | xz -dcq >"$tmp/vmlinux" 2>/dev/null || true
	[ "$(head -c 4 "$tmp/vmlinux" | od -An -c | tr -d ' ')" = '177ELF' ] || { echo "e2e-assets: vmlinux is not ELF" >&2; exit 1; }

	rm -rf "$assets/modules"
	mkdir -p "$assets/modules"
	for m in "${modules[@]}"; do
		f=$(find "$tmp/root" \( -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" \) | head -n1)
		[ -n "$f" ] || { echo "e2e-assets: module $m missing from $deb" >&2; exit 1; }
		case "$f" in
		*.xz) xz -dc "$f" >"$assets/modules/$m.ko" ;;
		*.zst) zstd -qdc "$f" >"$assets/modules/$m.ko" ;;
		*) cp "$f" "$assets/modules/$m.ko" ;;
		esac
	done
	printf '%s\n' "${modules[@]}" >"$assets/modules.order"
	mv "$tmp/vmlinux" "$assets/vmlinux"
	basename "$vmlinuz" | sed 's/^vmlinuz-//' >"$assets/kernel-version"
	echo "$pin" >"$assets/kernel-pin"
fi

echo "e2e-assets: ready in $assets (kernel $(cat "$assets/kernel-version"), $(($(date +%s) - start)) s)"

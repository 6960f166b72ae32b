#!/usr/bin/env bash
# e2e-assets.sh fetches and caches what the USB/IP end-to-end test needs:
#   - qemu-system-x86 and busybox-static (apt, only if missing)
#   - Debian's current kernel (linux-image-amd64's dependency), unpacked to an
#     ELF vmlinux for a PVH boot, plus the 12 modules the guest loads.
# The test itself never downloads anything: it reads the cache directory
# (ONAIR_E2E_ASSETS, default <repo>/.cache/e2e) and skips if it is incomplete.
# Re-running is cheap: the kernel is fetched again only when Debian's
# linux-image-amd64 points at a new ABI (old .debs vanish from the mirror, so
# the version is resolved at run time, never pinned).
set -euo pipefail

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

# 2. Kernel.
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
if [ -z "$kpkg" ]; then
	apt_update_once
	kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
fi
[ -n "$kpkg" ] || { echo "e2e-assets: cannot resolve linux-image-amd64's kernel package" >&2; exit 1; }

have_all() {
	[ -s "$assets/vmlinux" ] && [ "$(cat "$assets/kernel-package" 2>/dev/null)" = "$kpkg" ] || return 1
	for m in "${modules[@]}"; do [ -s "$assets/modules/$m.ko" ] || return 1; done
	[ -s "$assets/modules.order" ]
}

if have_all; then
	echo "e2e-assets: $kpkg already cached in $assets"
else
	echo "e2e-assets: fetching $kpkg"
	tmp=$(mktemp -d)
	chmod 755 "$tmp" # apt-get download runs as _apt and must write here
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get download -qq "$kpkg") || { apt_update_once; (cd "$tmp" && apt-get download -qq "$kpkg"); }
	deb=$(ls "$tmp"/*.deb)
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
	echo "$kpkg" >"$assets/kernel-package"
fi

echo "e2e-assets: ready in $assets (kernel $(cat "$assets/kernel-version"), $(($(date +%s) - start)) s)"

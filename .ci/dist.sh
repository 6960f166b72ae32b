#!/usr/bin/env bash
# Release artifacts in dist/: one archive per platform (tar.gz for Linux and
# macOS, zip for Windows) with the binary, README, LICENSE (when the tree has
# one), the example config and, for Linux, the udev rules; a .deb for amd64
# and arm64 (Debian, Raspberry Pi OS 64-bit); and SHA256SUMS over all of them.
#
# Binaries come from .ci/cross.sh (bin/cross/), which is run again unless it
# already built this VERSION/COMMIT. Each .deb is listed with
# `dpkg-deb --contents` and checked with lintian; a lintian error fails the
# build (warnings are printed).
#
# Needs: dpkg-deb, lintian, zip, gzip, readelf; the cross compilers of
# cross.sh. Environment: VERSION, COMMIT, DATE, GO.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
COMMIT=${COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
DATE=${DATE:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}
export VERSION COMMIT DATE GO
MAINTAINER=${MAINTAINER:-"onair developers <onair-dev@users.noreply.github.com>"}
CROSS=bin/cross
DIST=dist

for tool in dpkg-deb lintian zip gzip readelf sha256sum; do
  command -v "$tool" >/dev/null || { echo "dist.sh: $tool not found (Debian: apt-get install dpkg-dev lintian zip binutils)" >&2; exit 1; }
done
[ -f README.md ] || { echo "dist.sh: README.md is missing" >&2; exit 1; }

want=$(printf 'VERSION=%s\nCOMMIT=%s\n' "$VERSION" "$COMMIT")
if [ "$(grep -E '^(VERSION|COMMIT)=' "$CROSS/BUILDINFO" 2>/dev/null)" != "$want" ]; then
  echo "== building binaries (.ci/cross.sh)"
  ./.ci/cross.sh
fi

rm -rf "$DIST"
mkdir -p "$DIST"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# Reproducible archives: fixed order, owner and time.
epoch=$(date -u -d "$DATE" +%s 2>/dev/null || date -u +%s)
tarball() { # tarball OUT DIR NAME
  tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
    -C "$2" -cf - "$3" | gzip -9n >"$1"
}

echo "== archives"
for dir in "$CROSS"/*_*/; do
  plat=$(basename "$dir")           # e.g. linux_arm64
  os=${plat%_*}
  name="onair_${VERSION}_${plat}"
  root="$stage/$name"
  mkdir -p "$root"
  cp "$dir"/onair* "$root/"
  cp README.md "$root/"
  [ -f LICENSE ] && cp LICENSE "$root/"
  cp configs/onair.example.yaml "$root/config.example.yaml"
  [ "$os" = linux ] && cp configs/60-onair.rules "$root/"
  find "$stage/$name" -exec touch -d "@$epoch" {} +
  if [ "$os" = windows ]; then
    (cd "$stage" && zip -qrX "$OLDPWD/$DIST/$name.zip" "$name")
  else
    tarball "$DIST/$name.tar.gz" "$stage" "$name"
  fi
done

# debversion turns a git describe into a Debian version: v1.2.3 -> 1.2.3-1,
# v1.2.3-4-gabc -> 1.2.3+4+gabc-1, a bare commit -> 0.0.0+git<date>.<commit>-1.
debversion() {
  local v=${VERSION#v}
  if [[ ! $v =~ ^[0-9] ]]; then
    v="0.0.0+git$(date -u -d "$DATE" +%Y%m%d 2>/dev/null || date -u +%Y%m%d).${COMMIT}"
    [[ $VERSION == *-dirty ]] && v="$v+dirty"
  fi
  v=$(printf '%s' "$v" | tr -- '-_' '++' | tr -cd 'A-Za-z0-9.+~')
  echo "$v-1"
}
debver=$(debversion)

# The user unit, rendered by onair itself for /usr/bin/onair: the same text
# `onair service install` writes.
host="$CROSS/$($GO env GOHOSTOS)_$($GO env GOHOSTARCH)/onair"
if [ -x "$host" ]; then render=("$host"); else render=($GO run ./cmd/onair); fi
"${render[@]}" service install --dry-run --os linux --executable /usr/bin/onair >"$stage/onair.service" 2>/dev/null

# The man page, from `onair help` (so it lists the commands this build has).
{
  echo ".TH ONAIR 1 \"$(date -u -d "$DATE" +%Y-%m-%d 2>/dev/null || date -u +%Y-%m-%d)\" \"onair $VERSION\" \"User Commands\""
  echo ".SH NAME"
  echo "onair \\- Microsoft Teams presence on USB busy\\-lights and MQTT"
  echo ".SH SYNOPSIS"
  echo ".B onair"
  echo "[\\fB\\-\\-config\\fR \\fIFILE\\fR] [\\fB\\-\\-log\\-level\\fR \\fILEVEL\\fR] [\\fB\\-\\-system\\fR] \\fIcommand\\fR [\\fIarguments\\fR]"
  echo ".SH DESCRIPTION"
  echo "onair signs in to Microsoft Entra ID, polls Microsoft Graph for Teams presence and"
  echo "shows it on USB busy\\-lights, on MQTT and in Home Assistant."
  echo ".SH COMMANDS"
  echo ".nf"
  "${render[@]}" help | sed -n '/^Commands:/,/^$/p' | sed '1d;/^$/d' | sed 's/\\/\\e/g; s/-/\\-/g; s/^\([.'"'"']\)/\\\&\1/'
  echo ".fi"
  echo ".PP"
  echo "Run \\fBonair\\fR \\fIcommand\\fR \\fB\\-h\\fR for a command's flags."
  echo ".SH SERVICE"
  echo "The package ships a systemd user unit: \\fBsystemctl \\-\\-user enable \\-\\-now onair\\fR;"
  echo "logs: \\fBjournalctl \\-\\-user \\-u onair\\fR."
  echo "On a machine without a desktop login run \\fBloginctl enable\\-linger\\fR for the user,"
  echo "or install the system service: \\fBsudo onair service install \\-\\-system\\fR."
  echo ".SH FILES"
  echo ".TP"
  echo "\\fI~/.config/onair/config.yaml\\fR"
  echo "the config (\\fBonair config path\\fR; \\fI/etc/onair/config.yaml\\fR with \\fB\\-\\-system\\fR)"
  echo ".TP"
  echo "\\fI/usr/share/doc/onair/examples/config.example.yaml\\fR"
  echo "a commented example config"
  echo ".SH SEE ALSO"
  echo "\\fI/usr/share/doc/onair/README.md.gz\\fR, \\fI/usr/share/doc/onair/README.Debian\\fR"
} >"$stage/onair.1"

# AppStream metadata: the USB IDs of the udev rules as modaliases, so that
# software centres can offer onair when a light is plugged in.
{
  cat <<'METAINFO'
<?xml version="1.0" encoding="UTF-8"?>
<component type="console-application">
  <id>io.github.onair_dev.onair</id>
  <metadata_license>CC0-1.0</metadata_license>
  <name>onair</name>
  <summary>Microsoft Teams presence on USB busy-lights and MQTT</summary>
  <description>
    <p>onair shows your Microsoft Teams presence on USB busy-lights, on MQTT and in Home Assistant.</p>
  </description>
  <url type="homepage">https://github.com/onair-dev/onair</url>
  <provides>
    <binary>onair</binary>
METAINFO
  sed -n 's/.*SUBSYSTEM=="usb".*ATTR{idVendor}=="\([0-9a-fA-F]*\)".*ATTR{idProduct}=="\([0-9a-fA-F]*\)".*/\1 \2/p' configs/60-onair.rules |
    sort -u | while read -r vid pid; do
      printf '    <modalias>usb:v%sp%sd*</modalias>\n' "${vid^^}" "${pid^^}"
    done
  cat <<'METAINFO'
  </provides>
</component>
METAINFO
} >"$stage/onair.metainfo.xml"

echo "== .deb packages (version $debver)"
lintian_failed=0
for arch in amd64 arm64; do
  bin="$CROSS/linux_$arch/onair"
  [ -x "$bin" ] || { echo "dist.sh: $bin missing (cross.sh TARGETS?)" >&2; exit 1; }
  root="$stage/deb_$arch"
  install -d -m 0755 "$root/DEBIAN" "$root/usr/bin" "$root/lib/udev/rules.d" \
    "$root/usr/lib/systemd/user" "$root/usr/share/doc/onair/examples" \
    "$root/usr/share/man/man1" "$root/usr/share/metainfo"
  install -m 0755 "$bin" "$root/usr/bin/onair"
  install -m 0644 configs/60-onair.rules "$root/lib/udev/rules.d/60-onair.rules"
  install -m 0644 "$stage/onair.service" "$root/usr/lib/systemd/user/onair.service"
  install -m 0644 configs/onair.example.yaml "$root/usr/share/doc/onair/examples/config.example.yaml"
  install -m 0644 .ci/deb/README.Debian "$root/usr/share/doc/onair/README.Debian"
  install -m 0644 "$stage/onair.metainfo.xml" "$root/usr/share/metainfo/io.github.onair_dev.onair.metainfo.xml"
  gzip -9nc "$stage/onair.1" >"$root/usr/share/man/man1/onair.1.gz"
  chmod 0644 "$root/usr/share/man/man1/onair.1.gz"
  gzip -9nc README.md >"$root/usr/share/doc/onair/README.md.gz"
  chmod 0644 "$root/usr/share/doc/onair/README.md.gz"
  # copyright: onair's licence, then what is linked into the binary.
  if [ -f LICENSE ]; then
    lname=$(head -1 LICENSE | sed 's/^ *//')
    ltext=$(sed 's/^$/./; s/^/ /' LICENSE)
  else
    lname="no licence file in the source tree yet"
    ltext=" The onair source tree has no LICENSE file yet; until it has one, all rights are reserved by the authors."
  fi
  awk -v n="$lname" -v t="$ltext" '{gsub(/@LICENSE_NAME@/, n); if ($0 == "@LICENSE_TEXT@") print t; else print}' \
    .ci/deb/copyright >"$root/usr/share/doc/onair/copyright"
  chmod 0644 "$root/usr/share/doc/onair/copyright"
  cat >"$stage/changelog" <<CHANGELOG
onair ($debver) unstable; urgency=medium

  * Build of onair $VERSION (commit $COMMIT).

 -- $MAINTAINER  $(date -u -R -d "$DATE" 2>/dev/null || date -u -R)
CHANGELOG
  gzip -9nc "$stage/changelog" >"$root/usr/share/doc/onair/changelog.Debian.gz"
  chmod 0644 "$root/usr/share/doc/onair/changelog.Debian.gz"

  # Depends: what the binary links. karalabe/hid bundles libusb and hidapi,
  # so that is libc alone; the version is the newest glibc symbol used.
  needed=$(readelf -dW "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u | tr '\n' ' ')
  for lib in $needed; do
    case "$lib" in
      libc.so.6|ld-linux*.so.*) ;;
      *) echo "dist.sh: $bin links $lib; add its package to Depends" >&2; exit 1 ;;
    esac
  done
  glibc=$(readelf -VW "$bin" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -Vu | tail -1)
  depends="libc6 (>= ${glibc:-2.17})"

  find "$root" -path "$root/DEBIAN" -prune -o -type f -printf '%P\0' | sort -z |
    (cd "$root" && xargs -0 md5sum) >"$root/DEBIAN/md5sums"
  chmod 0644 "$root/DEBIAN/md5sums"
  size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
  cat >"$root/DEBIAN/control" <<CONTROL
Package: onair
Version: $debver
Architecture: $arch
Maintainer: $MAINTAINER
Installed-Size: $size
Depends: $depends
Section: utils
Priority: optional
Homepage: https://github.com/onair-dev/onair
Description: Microsoft Teams presence on USB busy-lights and MQTT
 onair signs in to Microsoft Entra ID, polls Microsoft Graph for your Teams
 presence (available, busy, in a meeting, do not disturb...) and shows it on
 USB busy-lights (Kuando Busylight, Luxafor, Embrava Blynclight, blink(1),
 BlinkStick, EPOS, MuteMe and more), on MQTT and in Home Assistant.
 .
 The package ships a systemd user unit (systemctl --user enable --now onair)
 and udev rules that let the logged-in user drive the lights.
CONTROL
  find "$root" -type d -exec chmod 0755 {} +
  deb="$DIST/onair_${debver}_${arch}.deb"
  dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
  echo "-- $deb: dpkg-deb --contents"
  dpkg-deb --contents "$deb"
  echo "-- $deb: lintian"
  if ! lintian --fail-on error --tag-display-limit 0 "$deb"; then
    lintian_failed=1
  fi
done

(cd "$DIST" && sha256sum -- *.tar.gz *.zip *.deb >SHA256SUMS)
echo "== $DIST"
ls -l "$DIST"
if [ "$lintian_failed" = 1 ]; then
  echo "dist.sh: lintian reported errors (above)" >&2
  exit 1
fi

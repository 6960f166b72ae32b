#!/usr/bin/env bash
# Release artifacts in dist/: one archive per platform (tar.gz for Linux and
# macOS, zip for Windows) with the binary, README, LICENSE,
# THIRD_PARTY_NOTICES.md, the example config and, for Linux, the udev rules
# (linux_arm also has SOURCES: the glibc and gcc its static binary holds);
# a .deb for amd64, arm64 and armhf (Debian, Raspberry Pi OS 64- and 32-bit);
# the source archive onair-VERSION.tar.gz (`git archive` of HEAD) and the
# Homebrew formula onair.rb that builds it; and SHA256SUMS over all of them.
#
# Binaries come from .ci/cross.sh (bin/cross/), which is run again unless it
# already built this VERSION/COMMIT. Every binary's modules (`go version -m`)
# must be in THIRD_PARTY_NOTICES.md at the same version. The Linux binaries
# run under qemu-user (.ci/qemu-user.sh). Each .deb is listed with
# `dpkg-deb --contents` and checked with lintian; a lintian error fails the
# build (warnings are printed).
#
# Needs: dpkg-deb, lintian, zip, gzip, readelf, git, ruby, qemu-user-static;
# the cross compilers of cross.sh. Environment: VERSION, COMMIT, DATE, GO.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
. "$(dirname "$0")/buildinfo.sh"
export VERSION COMMIT DATE GO
MAINTAINER=${MAINTAINER:-"onair developers <onair-dev@users.noreply.github.com>"}
CROSS=bin/cross
DIST=dist

for tool in dpkg-deb lintian zip gzip readelf sha256sum git ruby wixl msibuild msiinfo; do
  command -v "$tool" >/dev/null || { echo "dist.sh: $tool not found (Debian: apt-get install dpkg-dev lintian zip binutils git ruby)" >&2; exit 1; }
done
for f in README.md LICENSE THIRD_PARTY_NOTICES.md .ci/deb/copyright; do
  [ -f "$f" ] || { echo "dist.sh: $f is missing" >&2; exit 1; }
done

want=$(printf 'VERSION=%s\nCOMMIT=%s\n' "$VERSION" "$COMMIT")
if [ "$(grep -E '^(VERSION|COMMIT)=' "$CROSS/BUILDINFO" 2>/dev/null)" != "$want" ]; then
  echo "== building binaries (.ci/cross.sh)"
  ./.ci/cross.sh
fi

# Every module in every binary has its notice (configs/notices_test.go
# keeps THIRD_PARTY_NOTICES.md in step with go.mod; this checks the binaries
# themselves).
for bin in "$CROSS"/*_*/onair*; do
  $GO version -m "$bin" | awk '$1=="dep"||$1=="=>"{print $2, $3}' | while read -r mod ver; do
    if ! grep -qF "| $mod | $ver |" THIRD_PARTY_NOTICES.md; then
      echo "dist.sh: $bin contains $mod $ver, which THIRD_PARTY_NOTICES.md does not list; run UPDATE_GOLDEN=1 go test ./configs -run TestNotices" >&2
      exit 1
    fi
  done
done

echo "== qemu-user: run the Linux binaries"
./.ci/qemu-user.sh "$CROSS"

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

# The linux/arm binary is linked statically with glibc and libgcc from
# Debian's armel cross toolchain (see .ci/cross.sh). builtusing prints the
# Debian source packages they were built from, as the toolchain packages'
# own Built-Using fields name them (e.g. "glibc (= 2.36-8), gcc-12 (=
# 12.2.0-14)"): the armhf .deb's Built-Using field (Debian Policy 7.8) and
# the linux_arm archive's SOURCES file, so that the exact LGPL source is
# named (THIRD_PARTY_NOTICES.md, "GNU C Library").
builtusing() {
  local f real pkg
  for f in "$(arm-linux-gnueabi-gcc -print-file-name=libc.a)" "$(arm-linux-gnueabi-gcc -print-libgcc-file-name)"; do
    real=$(realpath -e "$f") || { echo "dist.sh: $f missing (apt-get install libc6-dev-armel-cross gcc-arm-linux-gnueabi)" >&2; return 1; }
    pkg=$(dpkg-query -S "$real" | cut -d: -f1) || { echo "dist.sh: no Debian package owns $real" >&2; return 1; }
    dpkg-query -W -f '${Built-Using}\n' "$pkg" | tr ',' '\n' | sed 's/^ *//' | grep -E '^(glibc|gcc-[0-9]+) '
  done | sort -u | paste -sd, | sed 's/,/, /g'
}
arm_built_using=$(builtusing)
case "$arm_built_using" in
  *glibc*gcc*|*gcc*glibc*) ;;
  *) echo "dist.sh: cannot tell the glibc and gcc source versions of linux/arm (got '$arm_built_using')" >&2; exit 1 ;;
esac

echo "== archives"
for dir in "$CROSS"/*_*/; do
  plat=$(basename "$dir")           # e.g. linux_arm64
  os=${plat%_*}
  name="onair_${VERSION}_${plat}"
  root="$stage/$name"
  mkdir -p "$root"
  cp "$dir"/onair* "$root/"
  cp README.md LICENSE THIRD_PARTY_NOTICES.md "$root/"
  cp configs/onair.example.yaml "$root/config.example.yaml"
  [ "$os" = linux ] && cp configs/60-onair.rules "$root/"
  if [ "$plat" = linux_arm ]; then
    {
      echo "onair for linux/arm is linked statically with the GNU C Library (LGPL-2.1-or-later)"
      echo "and libgcc (GPL-3.0-or-later with the GCC Runtime Library Exception), built from"
      echo "these Debian source packages (THIRD_PARTY_NOTICES.md, \"GNU C Library\", says more):"
      echo
      echo "$arm_built_using" | tr ',' '\n' | sed 's/^ *//; s/^\([^ ]*\) (= \(.*\))$/  \1 \2: https:\/\/snapshot.debian.org\/package\/\1\/\2\//'
    } >"$root/SOURCES"
  fi
  find "$stage/$name" -exec touch -d "@$epoch" {} +
  if [ "$os" = windows ]; then
    (cd "$stage" && zip -qrX "$OLDPWD/$DIST/$name.zip" "$name")
  else
    tarball "$DIST/$name.tar.gz" "$stage" "$name"
  fi
done

# The source archive: what the Homebrew formula builds, and the source the
# LGPL section of THIRD_PARTY_NOTICES.md points to. git archive is
# reproducible for a commit (file times are the commit's); it holds HEAD, not uncommitted changes.
echo "== source archive"
srcname="onair-${VERSION#v}"
git archive --format=tar --prefix="$srcname/" HEAD | gzip -9n >"$DIST/$srcname.tar.gz"
[[ $VERSION == *-dirty ]] && echo "dist.sh: note: the tree has uncommitted changes; $srcname.tar.gz holds HEAD ($COMMIT) without them"

echo "== Homebrew formula"
./.ci/homebrew-formula.sh "$DIST/$srcname.tar.gz" "$VERSION" "$COMMIT" >"$DIST/onair.rb"
want=$(sha256sum "$DIST/$srcname.tar.gz" | cut -d' ' -f1)
got=$(sed -n 's/^ *sha256 "\([0-9a-f]*\)"$/\1/p' "$DIST/onair.rb")
[ "$got" = "$want" ] || { echo "dist.sh: onair.rb has sha256 '$got', the source archive $want" >&2; exit 1; }
ruby -c "$DIST/onair.rb" >/dev/null || { echo "dist.sh: ruby -c rejects dist/onair.rb" >&2; exit 1; }
echo "onair.rb: $srcname.tar.gz sha256 $got, ruby -c ok"

# ---- Windows installer: an MSI built with wixl from the cross-built exe
# (configs/windows/onair.wxs), before SHA256SUMS so it is listed there.
echo "== windows installer"
./.ci/windows/msi.sh "$CROSS/windows_amd64/onair.exe" "$DIST/onair_${VERSION}_windows_amd64.msi" "$VERSION"
# ---- end Windows installer

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
for arch in amd64 arm64 armhf; do
  goarch=$arch
  [ "$arch" = armhf ] && goarch=arm # Debian's armhf is Go's linux/arm (see .ci/cross.sh for the CPU it needs)
  bin="$CROSS/linux_$goarch/onair"
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
  gzip -9nc THIRD_PARTY_NOTICES.md >"$root/usr/share/doc/onair/THIRD_PARTY_NOTICES.md.gz"
  chmod 0644 "$root/usr/share/doc/onair/THIRD_PARTY_NOTICES.md.gz"
  # copyright: machine-readable (copyright-format 1.0), generated with the
  # notices by configs/notices_test.go.
  install -m 0644 .ci/deb/copyright "$root/usr/share/doc/onair/copyright"
  cat >"$stage/changelog" <<CHANGELOG
onair ($debver) unstable; urgency=medium

  * Build of onair $VERSION (commit $COMMIT).

 -- $MAINTAINER  $(date -u -R -d "$DATE" 2>/dev/null || date -u -R)
CHANGELOG
  gzip -9nc "$stage/changelog" >"$root/usr/share/doc/onair/changelog.Debian.gz"
  chmod 0644 "$root/usr/share/doc/onair/changelog.Debian.gz"

  # Depends: what the binary links. karalabe/hid bundles libusb and hidapi,
  # so that is libc alone; the version is the newest glibc symbol used. The
  # static linux/arm binary (armhf) needs no libc6 at all: no Depends, and
  # Built-Using names the glibc and gcc it contains.
  needed=$(readelf -dW "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u | tr '\n' ' ')
  for lib in $needed; do
    case "$lib" in
      libc.so.6|ld-linux*.so.*) ;;
      *) echo "dist.sh: $bin links $lib; add its package to Depends" >&2; exit 1 ;;
    esac
  done
  relations=""
  if readelf -lW "$bin" | grep -q INTERP; then
    glibc=$(readelf -VW "$bin" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -Vu | tail -1)
    relations="Depends: libc6 (>= ${glibc:-2.17})"
  elif [ "$arch" = armhf ]; then
    relations="Built-Using: $arm_built_using"
    # lintian's statically-linked-binary is an error "usually a bug"; here it
    # is the point: Debian's armhf runtime is ARMv7 (.ci/cross.sh), and a
    # static armel-built binary is what runs on every 32-bit Pi.
    install -d -m 0755 "$root/usr/share/lintian/overrides"
    cat >"$root/usr/share/lintian/overrides/onair" <<'OVERRIDES'
# Static on purpose: built with Debian's armel (ARMv5TE) C runtime so that it
# runs on ARMv6 (Raspberry Pi Zero and Pi 1), which Debian armhf's ARMv7
# start files and loader cannot; static so that no armel loader is needed.
onair: statically-linked-binary [usr/bin/onair]
OVERRIDES
    chmod 0644 "$root/usr/share/lintian/overrides/onair"
  else
    echo "dist.sh: $bin is static; only linux/arm (armhf) is built that way (see .ci/cross.sh)" >&2
    exit 1
  fi

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
$relations
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

(cd "$DIST" && sha256sum -- *.tar.gz *.zip *.deb *.msi onair.rb >SHA256SUMS)
# winget and Scoop manifests carry the real checksums of what was just built.
./.ci/windows/manifests.sh "$VERSION" "$DIST"
echo "== $DIST"
ls -l "$DIST"
if [ "$lintian_failed" = 1 ]; then
  echo "dist.sh: lintian reported errors (above)" >&2
  exit 1
fi

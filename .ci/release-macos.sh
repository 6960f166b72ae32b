#!/usr/bin/env bash
# release-macos.sh builds the macOS release with USB support, on a Mac:
# darwin/arm64 and darwin/amd64 with cgo (hidapi against IOKit, which only
# Xcode's SDK provides, so this cannot be cross-built on Linux), merged into
# one universal binary with lipo, and archived with the README, LICENSE,
# THIRD_PARTY_NOTICES.md and the example config, plus SHA256SUMS, in
# dist/macos/.
#
# Environment: VERSION, COMMIT, DATE (stamped into `onair version`), GO.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(uname -s)" != Darwin ]; then
  echo "release-macos: this builds onair for macOS with USB support (cgo against IOKit); run this on macOS with Xcode command line tools (xcode-select --install). On $(uname -s), make dist builds macOS archives without USB." >&2
  exit 1
fi
command -v clang >/dev/null || { echo "release-macos: no C compiler; run this on macOS with Xcode command line tools (xcode-select --install)" >&2; exit 1; }

GO=${GO:-go}
. "$(dirname "$0")/buildinfo.sh"
OUT=dist/macos
build=bin/macos

rm -rf "$OUT" "$build"
mkdir -p "$OUT" "$build"
for arch in arm64 amd64; do
  echo "== darwin/$arch (cgo)"
  CGO_ENABLED=1 GOOS=darwin GOARCH=$arch \
    $GO build -trimpath -ldflags "$LDFLAGS" -o "$build/onair_$arch" ./cmd/onair
  got=$($GO version -m "$build/onair_$arch" | awk '$2 ~ /^CGO_ENABLED=/{split($2,a,"=");print a[2]}')
  [ "$got" = 1 ] || { echo "release-macos: darwin/$arch was built with CGO_ENABLED=$got, want 1" >&2; exit 1; }
done

# name plat binary...: one archive per platform.
archive() {
  local plat=$1 bin=$2 name root
  name="onair_${VERSION}_darwin_$plat"
  root=$(mktemp -d)/$name
  mkdir -p "$root"
  cp "$bin" "$root/onair"
  cp README.md LICENSE THIRD_PARTY_NOTICES.md "$root/"
  cp configs/onair.example.yaml "$root/config.example.yaml"
  tar -C "$(dirname "$root")" -czf "$OUT/$name.tar.gz" "$name"
  rm -rf "$(dirname "$root")"
}

if command -v lipo >/dev/null; then
  lipo -create -output "$build/onair" "$build/onair_arm64" "$build/onair_amd64"
  lipo -info "$build/onair"
  archive universal "$build/onair"
else
  echo "release-macos: lipo not found; one archive per architecture instead of a universal binary"
  archive arm64 "$build/onair_arm64"
  archive amd64 "$build/onair_amd64"
fi
host="$build/onair_$(uname -m | sed 's/x86_64/amd64/')"
[ -x "$host" ] && "$host" version
(cd "$OUT" && shasum -a 256 -- *.tar.gz >SHA256SUMS)
ls -l "$OUT"

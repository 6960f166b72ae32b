#!/usr/bin/env bash
# Renders the winget and Scoop manifests of a release from the dist output:
#
#   .ci/windows/manifests.sh VERSION DIST_DIR
#
# reads DIST_DIR/onair_VERSION_windows_amd64.zip and .msi (dist.sh and
# msi.sh), and writes
#   DIST_DIR/winget/onair-dev.onair{,.installer,.locale.en-US}.yaml  (schema 1.6.0)
#   DIST_DIR/scoop/onair.json
# with the real SHA256 of the archive and the MSI, the MSI's ProductCode,
# and download URLs under RELEASE_URL (default
# https://github.com/onair-dev/onair/releases/download/VERSION). Then it
# validates them (.ci/windows/manifestcheck). Templates: configs/windows/.
# Needs: sha256sum, msiinfo (Debian: msitools), go.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# = 2 ] || { echo "usage: manifests.sh VERSION DIST_DIR" >&2; exit 2; }
tag=$1 dist=$2
GO=${GO:-go}
version=${tag#v}
zip="$dist/onair_${tag}_windows_amd64.zip"
msi="$dist/onair_${tag}_windows_amd64.msi"
for f in "$zip" "$msi"; do
  [ -f "$f" ] || { echo "manifests.sh: $f not found (make dist; .ci/windows/msi.sh)" >&2; exit 1; }
done
command -v msiinfo >/dev/null || { echo "manifests.sh: msiinfo not found (Debian: apt-get install msitools)" >&2; exit 1; }
base=${RELEASE_URL:-https://github.com/onair-dev/onair/releases/download/$tag}

prop() { msiinfo export "$msi" Property | tr -d '\r' | awk -F'\t' -v k="$1" '$1==k{print $2}'; }
# The licence as an SPDX identifier when the tree's LICENSE is a known one.
license=Proprietary
if [ -f LICENSE ]; then
  case "$(head -5 LICENSE)" in
    *"MIT License"*) license=MIT ;;
    *"Apache License"*) license=Apache-2.0 ;;
    *"BSD 3-Clause"*) license=BSD-3-Clause ;;
    *"GNU GENERAL PUBLIC LICENSE"*"Version 3"*) license=GPL-3.0-only ;;
    *) license="See LICENSE" ;;
  esac
fi
subst=(
  -e "s|@VERSION@|$version|g"
  -e "s|@TAG@|$tag|g"
  -e "s|@DATE@|$(date -u +%Y-%m-%d)|g"
  -e "s|@MSI_URL@|$base/$(basename "$msi")|g"
  -e "s|@MSI_SHA256@|$(sha256sum "$msi" | cut -d' ' -f1 | tr a-f A-F)|g"
  -e "s|@PRODUCT_CODE@|$(prop ProductCode)|g"
  -e "s|@UPGRADE_CODE@|$(prop UpgradeCode)|g"
  -e "s|@ZIP_URL@|$base/$(basename "$zip")|g"
  -e "s|@ZIP_SHA256@|$(sha256sum "$zip" | cut -d' ' -f1)|g"
  -e "s|@ZIP_DIR@|onair_${tag}_windows_amd64|g"
  -e "s|@LICENSE@|$license|g"
)
mkdir -p "$dist/winget" "$dist/scoop"
for t in configs/windows/winget/*.yaml.in; do
  sed "${subst[@]}" "$t" >"$dist/winget/$(basename "$t" .in)"
done
sed "${subst[@]}" configs/windows/scoop-onair.json.in >"$dist/scoop/onair.json"
$GO run ./.ci/windows/manifestcheck "$dist"/winget/*.yaml "$dist/scoop/onair.json"
ls -l "$dist/winget" "$dist/scoop"

#!/usr/bin/env bash
# Builds onair's MSI from a built onair.exe with wixl (configs/windows/onair.wxs).
#
#   .ci/windows/msi.sh EXE OUT.msi [VERSION]
#
# VERSION (default $VERSION, else git describe) becomes the MSI's
# ProductVersion, which must be numeric: v1.2.3 and v1.2.3-4-gabc give
# 1.2.3, anything else 0.0.0 (a development build; MajorUpgrade with
# AllowSameVersionUpgrades still replaces it). LICENSE and
# THIRD_PARTY_NOTICES.md are included when the tree has them.
# Needs: wixl (Debian package wixl).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 2 ] || { echo "usage: msi.sh EXE OUT.msi [VERSION]" >&2; exit 2; }
exe=$1 out=$2
version=${3:-${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}}
command -v wixl >/dev/null || { echo "msi.sh: wixl not found (Debian: apt-get install wixl)" >&2; exit 1; }
[ -f "$exe" ] || { echo "msi.sh: $exe not found (build it: GOOS=windows go build ./cmd/onair or make cross)" >&2; exit 1; }

msiversion() {
  local v=${1#v}
  if [[ $v =~ ^([0-9]+)\.([0-9]+)\.([0-9]+) ]]; then
    local a=${BASH_REMATCH[1]} b=${BASH_REMATCH[2]} c=${BASH_REMATCH[3]}
    # Windows Installer: major and minor at most 255, build at most 65535.
    if [ "$a" -le 255 ] && [ "$b" -le 255 ] && [ "$c" -le 65535 ]; then
      echo "$a.$b.$c"; return
    fi
    echo "msi.sh: version $1 is beyond what an MSI can hold (255.255.65535)" >&2; exit 1
  fi
  echo 0.0.0
}
mv=$(msiversion "$version")

# wixl finds sources relative to the .wxs file: stage everything together.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp configs/windows/onair.wxs "$stage/"
cp "$exe" "$stage/onair.exe"
cp README.md "$stage/README.md"
cp configs/onair.example.yaml "$stage/config.example.yaml"
defs=(-D "Version=$mv" -D "Exe=onair.exe" -D "Readme=README.md" -D "Example=config.example.yaml")
extras=""
if [ -f LICENSE ]; then cp LICENSE "$stage/LICENSE.txt"; defs+=(-D "License=LICENSE.txt"); extras+=", LICENSE"; fi
if [ -f THIRD_PARTY_NOTICES.md ]; then cp THIRD_PARTY_NOTICES.md "$stage/"; defs+=(-D "Notices=THIRD_PARTY_NOTICES.md"); extras+=", THIRD_PARTY_NOTICES.md"; fi
(cd "$stage" && wixl --arch x64 "${defs[@]}" -o onair.msi onair.wxs)

# The PATH entry: wixl has no <Environment>, so the row goes in with
# msibuild (msitools). Name "=-*PATH": set on install (=), remove on
# uninstall (-), system variable (*); value "[~];[INSTALLDIR]": append.
# https://learn.microsoft.com/windows/win32/msi/environment-table
printf 'Environment\tName\tValue\tComponent_\ns72\tl255\tL255\ts72\nEnvironment\tEnvironment\nPathEntry\t=-*PATH\t[~];[INSTALLDIR]\tPath\n' >"$stage/Environment.idt"
# and the actions that apply it, at their standard places in the sequence.
msiinfo export "$stage/onair.msi" InstallExecuteSequence >"$stage/InstallExecuteSequence.idt"
grep -q '^WriteEnvironmentStrings' "$stage/InstallExecuteSequence.idt" ||
  printf 'WriteEnvironmentStrings\t\t5200\r\nRemoveEnvironmentStrings\t\t3300\r\n' >>"$stage/InstallExecuteSequence.idt"
# AllowSameVersionUpgrades (which wixl lacks): the row that finds older
# installs includes this version too (msidbUpgradeAttributesVersionMaxInclusive
# 0x200 + MigrateFeatures 0x1 = 513), so a rebuild with the same version
# replaces the installed one instead of installing beside it.
# https://learn.microsoft.com/windows/win32/msi/upgrade-table
msiinfo export "$stage/onair.msi" Upgrade | sed 's/\t1\t\tWIX_UPGRADE_DETECTED/\t513\t\tWIX_UPGRADE_DETECTED/' >"$stage/Upgrade.idt"
grep -q $'\t513\t\tWIX_UPGRADE_DETECTED' "$stage/Upgrade.idt" || { echo "msi.sh: unexpected Upgrade table from wixl:" >&2; cat "$stage/Upgrade.idt" >&2; exit 1; }
# EventMessageFile must be REG_EXPAND_SZ (%SystemRoot%); wixl writes
# Type="expandable" as REG_SZ. "#%" starts an expandable string in the
# Registry table (https://learn.microsoft.com/windows/win32/msi/registry-table).
msiinfo export "$stage/onair.msi" Registry |
  sed 's/\tEventMessageFile\t%SystemRoot%/\tEventMessageFile\t#%%SystemRoot%/' >"$stage/Registry.idt"
grep -q $'\tEventMessageFile\t#%%SystemRoot%' "$stage/Registry.idt" || { echo "msi.sh: unexpected Registry table from wixl:" >&2; cat "$stage/Registry.idt" >&2; exit 1; }
msibuild "$stage/onair.msi" -i "$stage/Environment.idt" "$stage/InstallExecuteSequence.idt" "$stage/Upgrade.idt" "$stage/Registry.idt"

mkdir -p "$(dirname "$out")"
cp "$stage/onair.msi" "$out"
echo "msi.sh: $out (ProductVersion $mv from $version$extras)"

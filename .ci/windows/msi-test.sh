#!/usr/bin/env bash
# Installs onair.msi under Wine, checks what it put there and removes it:
#   msi-test.sh PATH/TO/onair.msi
# Checks: onair.exe under C:\Program Files\onair, that folder on the system
# PATH (registry and a fresh process), the Event Log source, `onair version`
# from the installed path and by name through PATH; a second install of the
# same MSI replaces the first (one product installed); uninstall removes
# the files, the PATH entry and the source. Run by run-tests.sh with
# WINEPREFIX set.
set -euo pipefail
msi=$(realpath "$1")
export WINEDEBUG=${WINEDEBUG:--all}
die() { echo "msi-test.sh: FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
envkey='HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Environment'
srckey='HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\onair'
syspath() { wine reg query "$envkey" /v PATH 2>/dev/null | tr -d '\r' | sed -n 's/.*REG_[A-Z_]*SZ *//p'; }
pf=$(wine cmd /c 'echo %ProgramW6432%' | tr -d '\r')
dir="$pf\\onair"
udir=$(winepath -u "$dir")

# A run that failed half-way (before this script removed what it put there)
# leaves the product installed in a reused prefix: the same MSI replaces it
# (MajorUpgrade, same version included) and its uninstall then removes it.
if [ -e "$udir/onair.exe" ]; then
  echo "msi-test.sh: $dir\\onair.exe is left from an earlier run; removing it first"
  wine msiexec /i "$msi" /qn && wine msiexec /x "$msi" /qn || true
  [ ! -e "$udir/onair.exe" ] || die "$dir\\onair.exe is left from an earlier run and msiexec could not remove it (delete the prefix: rm -rf \$WINEPREFIX)"
fi
before=$(syspath)
# From here on a failure uninstalls too, so the next run starts clean.
installed=0
trap '[ "$installed" = 1 ] && wine msiexec /x "$msi" /qn >/dev/null 2>&1; rm -rf "${tmpd:-}"' EXIT

installed=1
wine msiexec /i "$msi" /qn || die "msiexec /i exited $?"
[ -f "$udir/onair.exe" ] || die "no $dir\\onair.exe after the install"
for f in README.md config.example.yaml; do [ -f "$udir/$f" ] || die "no $dir\\$f"; done
[ ! -f LICENSE ] || [ -f "$udir/LICENSE.txt" ] || die "the tree has LICENSE, the install has no LICENSE.txt"
ok "installed: $(cd "$udir" && ls | tr '\n' ' ')"
case ";$(syspath);" in *";$dir\\;"*|*";$dir;"*) ;; *) die "system PATH lacks $dir: $(syspath)" ;; esac
ok "system PATH ends with $dir"
wine reg query "$srckey" /v EventMessageFile 2>/dev/null | tr -d '\r' | grep -q 'REG_EXPAND_SZ *%SystemRoot%\\System32\\EventCreate.exe' ||
  die "event source: $(wine reg query "$srckey" 2>&1 | tr -d '\r')"
ok "Event Log source onair -> %SystemRoot%\\System32\\EventCreate.exe (REG_EXPAND_SZ)"

out=$(wine "$udir/onair.exe" version | tr -d '\r') || die "installed onair.exe version failed"
echo "$out" | grep -q '^onair ' || die "installed onair.exe version: $out"
ok "$dir\\onair.exe version: $(echo "$out" | head -1)"
# By name, as a new console would find it: PATH from the registry, from a
# neutral directory (cmd.exe looks in the current one first). Empty entries
# are dropped: Wine's cmd.exe ends its search at one and runs nothing,
# exit 0, no output (what failed CI: a prefix whose PATH ended in ";" before
# the install appended ";C:\Program Files\onair\"). Windows skips them.
tmpd=$(mktemp -d)
search=$(syspath | tr ';' '\n' | grep -v '^$' | paste -sd';')
out=$(cd "$tmpd" && wine cmd /c "set PATH=$search&& onair version" | tr -d '\r') || die "onair version through PATH failed"
echo "$out" | grep -q '^onair ' || die "onair through PATH ($search): ${out:-no output}"
ok "onair version found through the system PATH"

# The same MSI again (a rebuild, same version): replaces, not installs beside.
wine msiexec /i "$msi" /qn || die "second msiexec /i exited $?"
n=$(wine reg query 'HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall' /s 2>/dev/null | tr -d '\r' | grep -c 'DisplayName *REG_SZ *onair$' || true)
[ "$n" = 1 ] || die "after a second install: $n onair entries in Uninstall, want 1"
case "$(syspath)" in *"$dir"*"$dir"*) die "PATH has $dir twice: $(syspath)" ;; esac
ok "a second install replaces the first (one product, one PATH entry)"

wine msiexec /x "$msi" /qn || die "msiexec /x exited $?"
installed=0
[ ! -e "$udir/onair.exe" ] || die "$dir\\onair.exe left after uninstall"
[ ! -e "$udir" ] || die "$dir left after uninstall: $(ls -A "$udir")"
case "$(syspath)" in *"$dir"*) die "PATH still has $dir: $(syspath)" ;; esac
# Wine's msi leaves the separator it appended (";" at the end, one more
# each install and uninstall); harmless, so trailing ones are not compared.
after=$(syspath)
[ "$(echo "$after" | sed 's/;*$//')" = "$(echo "$before" | sed 's/;*$//')" ] || die "PATH after uninstall: $after, before install: $before"
! wine reg query "$srckey" >/dev/null 2>&1 || die "event source left after uninstall"
ok "uninstall removed the files, the PATH entry and the event source"

#!/usr/bin/env bash
# homebrew-formula.sh renders configs/homebrew/onair.rb.in for a source
# archive: the release URL of the archive, its version and its sha256.
#
# Usage: .ci/homebrew-formula.sh ARCHIVE VERSION COMMIT >onair.rb
#   ARCHIVE  the source archive (onair-VERSION.tar.gz from `make dist`)
#   VERSION  the git tag or describe string (v1.2.3); the formula's version
#            drops the leading v
#   COMMIT   the commit stamped into `onair version`
# Environment: RELEASE_URL_BASE (default
# https://github.com/onair-dev/onair/releases/download): the archive's URL is
# RELEASE_URL_BASE/VERSION/<archive file name>.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 ARCHIVE VERSION COMMIT" >&2; exit 2; }
archive=$1 version=$2 commit=$3
[ -f "$archive" ] || { echo "homebrew-formula.sh: $archive: no such file" >&2; exit 1; }
here=$(cd "$(dirname "$0")/.." && pwd)
base=${RELEASE_URL_BASE:-https://github.com/onair-dev/onair/releases/download}
sha=$(sha256sum "$archive" | cut -d' ' -f1)
url="$base/$version/$(basename "$archive")"
case "$version$commit$url" in
  *'"'* | *'#'* | *'\'* | *'|'*) echo "homebrew-formula.sh: VERSION, COMMIT and the URL must not contain \" # \\ or |" >&2; exit 1 ;;
esac
sed -e "s|@URL@|$url|" -e "s|@VERSION@|${version#v}|" -e "s|@SHA256@|$sha|" -e "s|@COMMIT@|$commit|" \
  "$here/configs/homebrew/onair.rb.in"

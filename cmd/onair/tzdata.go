package main

// time/tzdata embeds the IANA time zone database (about 450 KB) so that
// schedule.time_zone works on every OS. Windows has no zoneinfo files Go can
// read, and the release binaries are built with -trimpath, which removes the
// $GOROOT/lib/time/zoneinfo.zip fallback: without this import every
// time_zone fails there with `unknown time zone "Europe/Berlin"`
// (tzdata_windows_test.go, run under Wine by `make test-windows`). Linux and
// macOS use the system database first; this is only the fallback
// (https://pkg.go.dev/time/tzdata).
import _ "time/tzdata"

package main

import (
	"testing"
	"time"
)

// Windows has no zoneinfo database Go can read, and a -trimpath binary has
// no GOROOT to fall back to: schedule.time_zone works only because
// tzdata.go embeds time/tzdata. Without it this fails with
// `unknown time zone Europe/Berlin` (seen under Wine in .ci/windows).
func TestLoadLocationWithoutZoneinfo(t *testing.T) {
	for _, name := range []string{"Europe/Berlin", "America/New_York", "Asia/Kolkata"} {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatalf("LoadLocation(%q): %v", name, err)
		}
		// 2026-07-01 12:00 UTC is summer time in Berlin: UTC+2.
		if name == "Europe/Berlin" {
			_, off := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC).In(loc).Zone()
			if off != 2*3600 {
				t.Fatalf("Europe/Berlin offset on 2026-07-01 = %ds, want 7200", off)
			}
		}
	}
}

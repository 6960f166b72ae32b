package mapping

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"", 0, ""},
		{"  ", 0, ""},
		{"30m", 30 * time.Minute, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"1H30M", 90 * time.Minute, ""},
		{" 90s ", 90 * time.Second, ""},
		{"90", 90 * time.Second, ""},
		{"1.5", 1500 * time.Millisecond, ""},
		{"2d", 48 * time.Hour, ""},
		{"1d12h", 36 * time.Hour, ""},
		{"7d", MaxOverride, ""},
		{"168h", MaxOverride, ""},
		{"604800", MaxOverride, ""},
		{"8d", 0, "at most 7d (168h0m0s)"},
		{"100000h", 0, `invalid duration "100000h": at most 7d`},
		{"604801", 0, "at most 7d"},
		{"99999999999999999999999", 0, "at most 7d"},
		{"99999999999d", 0, "at most 7d"},
		{"0", 0, "must be more than 0"},
		{"0s", 0, "must be more than 0"},
		{"-5m", 0, "must be more than 0"},
		{"soon", 0, `invalid duration "soon": use a number with a unit`},
		{"d", 0, "invalid duration"},
		{"-1d", 0, "invalid duration"},
		{"+1d", 0, "invalid duration"},
		{"1d-5m", 0, "invalid duration"},
		{"1e3", 0, "invalid duration"},
		{"0x10", 0, "invalid duration"},
		{"NaN", 0, "invalid duration"},
		{"Inf", 0, "invalid duration"},
		{"1.2.3", 0, "invalid duration"},
		{"30 m", 0, "invalid duration"},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseDuration(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{999 * time.Millisecond, "0s"},
		{45 * time.Second, "45s"},
		{90 * time.Second, "1m 30s"},
		{42 * time.Minute, "42m"},
		{5*time.Hour + 3*time.Minute + 59*time.Second, "5h 3m"},
		{47*time.Hour + 59*time.Minute + 50*time.Second, "1d 23h"},
		{48 * time.Hour, "2d"},
		{-90 * time.Minute, "1h 30m"},
		{MaxOverride, "7d"},
	}
	for _, tt := range tests {
		if got := FormatDuration(tt.d); got != tt.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestFormatUntil(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	// Monday 30 November 2026, 10:51:20 in Berlin.
	now := time.Date(2026, 11, 30, 10, 51, 20, 0, berlin)
	tests := []struct {
		name string
		t    time.Time
		want string
	}{
		{"zero", time.Time{}, "never"},
		{"later today", now.Add(6 * time.Hour), "16:51"},
		{"earlier today", now.Add(-2 * time.Hour), "08:51"},
		// onair set busy --for 30h: tomorrow, so the day shows.
		{"tomorrow", now.Add(30 * time.Hour), "Tue 16:51 (in 1d 6h)"},
		// onair pause --for 48h, read ten seconds later.
		{"in two days", now.Add(48*time.Hour - 10*time.Second), "Wed 10:51 (in 1d 23h)"},
		{"just after midnight", time.Date(2026, 12, 1, 0, 5, 0, 0, berlin), "Tue 00:05 (in 13h 13m)"},
		{"yesterday", now.Add(-24 * time.Hour), "Sun 10:51 (1d ago)"},
		{"next week", now.Add(8*24*time.Hour + 2*time.Hour), "Tue 8 Dec 12:51 (in 8d 2h)"},
		{"next year", time.Date(2027, 1, 1, 9, 0, 0, 0, berlin), "Fri 1 Jan 2027 09:00 (in 31d 22h)"},
		// Shown in the instant's own location: 23:30 UTC is 00:30 in
		// Berlin, tomorrow.
		{"location", time.Date(2026, 11, 30, 23, 30, 0, 0, time.UTC).In(berlin), "Tue 00:30 (in 13h 38m)"},
	}
	for _, tt := range tests {
		if got := FormatUntil(now, tt.t); got != tt.want {
			t.Errorf("%s: FormatUntil = %q, want %q", tt.name, got, tt.want)
		}
	}
	// now in another location is converted to t's before comparing days.
	if got := FormatUntil(now.UTC(), now.Add(time.Hour)); got != "11:51" {
		t.Errorf("FormatUntil(now in UTC) = %q, want 11:51", got)
	}
}

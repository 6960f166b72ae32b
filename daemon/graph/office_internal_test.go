package graph

import (
	"os"
	"testing"
	"time"
)

// A getSchedule answer whose times are in Windows and IANA zones (as when
// Graph ignores the Prefer header, or a mailbox's zone leaks through) is
// read as the instants it names.
func TestDecodeSchedulesTimeZones(t *testing.T) {
	body, err := os.ReadFile("testdata/schedule_zones.json")
	if err != nil {
		t.Fatal(err)
	}
	// 2026-12-01 17:30 UTC = 09:30 Pacific = 18:30 Berlin.
	now := time.Date(2026, 12, 1, 17, 30, 0, 0, time.UTC)
	got, err := decodeSchedules("get schedule", body, "", now)
	if err != nil {
		t.Fatal(err)
	}
	adele := got["adele@contoso.example"]
	// busy 09:00–10:00 Pacific = 17:00–18:00 UTC; oof 19:00–20:00 Berlin = 18:00–19:00 UTC
	// (back to back, so one block); tentative 20:15–21:00 UTC after a gap.
	if want := time.Date(2026, 12, 1, 19, 0, 0, 0, time.UTC); !adele.BusyUntil.Equal(want) {
		t.Errorf("BusyUntil = %v, want %v", adele.BusyUntil.UTC(), want)
	}
	if want := time.Date(2026, 12, 1, 20, 15, 0, 0, time.UTC); !adele.NextBusy.Equal(want) {
		t.Errorf("NextBusy = %v, want %v", adele.NextBusy.UTC(), want)
	}
	if se, ok := got["nobody@contoso.example"].Err.(*ScheduleError); !ok || se.ResponseCode != "ErrorMailRecipientNotFound" {
		t.Errorf("nobody = %+v, want a ScheduleError", got["nobody@contoso.example"])
	}
	if _, err := decodeSchedules("get schedule", []byte(`{"value":[{"scheduleId":"x","scheduleItems":[{"status":"busy","start":{"dateTime":"2026-12-01T10:00:00","timeZone":"Mars Standard Time"},"end":{"dateTime":"2026-12-01T11:00:00","timeZone":"UTC"}}]}]}`), "", now); err == nil {
		t.Error("an unknown time zone decoded without error")
	}
	if _, err := decodeSchedules("get schedule", []byte(`{"error":{"code":"x"}}`), "", now); err == nil {
		t.Error("a body without value decoded without error")
	}
}

func TestScheduleAtMerging(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 1, 1, h, 0, 0, 0, time.UTC) }
	s := scheduleAt([][2]time.Time{{at(13), at(14)}, {at(9), at(11)}, {at(10), at(12)}, {at(16), at(17)}}, at(10))
	if !s.BusyUntil.Equal(at(12)) || !s.NextBusy.Equal(at(13)) {
		t.Errorf("scheduleAt = %+v, want busy until 12:00 (overlap merged), next 13:00", s)
	}
	s = scheduleAt(nil, at(10))
	if s.Busy() || !s.NextBusy.IsZero() {
		t.Errorf("empty calendar = %+v, want free", s)
	}
	// The end of a block is free: a meeting ending at 10:00 does not make
	// 10:00 busy.
	if s := scheduleAt([][2]time.Time{{at(9), at(10)}}, at(10)); s.Busy() {
		t.Errorf("at a block's end: %+v, want free", s)
	}
}

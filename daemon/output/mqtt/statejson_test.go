package mqtt

import (
	"bytes"
	"encoding/json"
	"testing"
)

// tricky are strings that encoding/json escapes, one way or another.
var tricky = []string{
	"", "plain", `quote " and backslash \`, "<b>Tom & Jerry</b>",
	"\x00\x01\x1f\b\f\n\r\t\x7f", "line\u2028para\u2029", "bad \xff\xfe utf-8 \xc3",
	"🟥 Besprechung · ß", "\u00e9\u0301", `\u0041`,
}

func TestStateJSONIsEncodingJSON(t *testing.T) {
	var payloads []statePayload
	for i, s := range tricky {
		other := tricky[(i+1)%len(tricky)]
		payloads = append(payloads, statePayload{
			User: s, Name: other, Busy: i%2 == 0, Color: "#ff0000", ShownColor: s, Brightness: i*37 - 50,
			Effect: other, Label: s, Rule: other,
			Teams: teamsPayload{Availability: s, Activity: other, StatusMessage: s},
			Since: s, Stale: i%3 == 0, Until: other, NextBusy: s,
		})
	}
	payloads = append(payloads, statePayload{}, statePayload{User: "me", Since: "2026-12-01T09:00:00Z", Until: "2026-12-01T14:30:00Z"})
	for _, sp := range payloads {
		want, err := json.Marshal(sp)
		if err != nil {
			t.Fatal(err)
		}
		if got := stateJSON(&sp); !bytes.Equal(got, want) {
			t.Errorf("stateJSON(%+v):\n got %s\nwant %s", sp, got, want)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range tricky {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	})
}

func BenchmarkStateJSON(b *testing.B) {
	sp := statePayload{
		User: "jane.doe@contoso.example", Name: "Jane Doe", Busy: true, Color: "#ff0000", ShownColor: "#ff0000",
		Brightness: 100, Effect: "solid", Label: "In a meeting", Rule: "meeting",
		Teams: teamsPayload{Availability: "busy", Activity: "in_a_meeting", StatusMessage: "Back at 3 <ish> & later"},
		Since: "2026-12-01T09:00:00Z", Until: "2026-12-01T14:30:00Z",
	}
	b.Run("appender", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			stateJSON(&sp)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(sp); err != nil {
				b.Fatal(err)
			}
		}
	})
}

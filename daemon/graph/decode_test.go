package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/onair-dev/onair/mapping"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 5, 31, 15, 42, 10, 0, time.UTC)
	tests := []struct {
		in        string
		want      time.Duration
		requested time.Duration // 0: same as want
	}{
		{"", 0, 0},
		{"7", 7 * time.Second, 0},
		{" 120 ", 120 * time.Second, 0},
		{"0", 0, 0},
		{"300", 5 * time.Minute, 0},
		{"-5", 0, 0},
		{"1.5", 0, 0},
		{"soon", 0, 0},
		{"99999999999999999999999", 0, 0}, // overflows uint64: unusable
		{"999999999", maxRetryAfter, 999999999 * time.Second},
		{"3600", time.Hour, 0},
		{"3601", time.Hour, 3601 * time.Second},
		{"18446744073709551615", maxRetryAfter, maxRequested},
		{"Fri, 31 May 2024 15:42:40 GMT", 30 * time.Second, 0},
		{"Friday, 31-May-24 15:43:10 GMT", time.Minute, 0}, // RFC 850
		{"Fri May 31 15:42:11 2024", time.Second, 0},       // asctime
		{"Fri, 31 May 2024 15:42:00 GMT", 0, 0},            // in the past
		{"Sat, 01 Jun 2030 00:00:00 GMT", maxRetryAfter, time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC).Sub(now)},
	}
	for _, tt := range tests {
		req := tt.requested
		if req == 0 {
			req = tt.want
		}
		if got, gotReq := parseRetryAfter(tt.in, now); got != tt.want || gotReq != req {
			t.Errorf("parseRetryAfter(%q) = %s, %s; want %s, %s", tt.in, got, gotReq, tt.want, req)
		}
	}
}

func TestSnippet(t *testing.T) {
	const tok = "secret-token-1234567890"
	tests := []struct {
		name, body, want string
	}{
		{"empty", "", "(empty)"},
		{"collapses space", "{\n    \"a\":\t1\n}\n", `{ "a": 1 }`},
		{"redacts", `{"echo":"` + tok + `"}`, `{"echo":"REDACTED"}`},
		{"redacts across the cut", strings.Repeat("x", snippetLen-5) + tok, strings.Repeat("x", snippetLen-5) + "REDAC…"},
		{"cuts", strings.Repeat("ab", snippetLen), strings.Repeat("ab", snippetLen/2) + "…"},
		{"invalid utf-8 and control bytes", "a\xffb\x00c", "a\uFFFDb\uFFFDc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := snippet([]byte(tt.body), tok)
			if got != tt.want {
				t.Errorf("snippet = %q, want %q", got, tt.want)
			}
			if strings.Contains(got, tok[:8]) {
				t.Errorf("snippet %q leaks part of the token", got)
			}
		})
	}
}

func TestIsObjectID(t *testing.T) {
	for s, want := range map[string]bool{
		"fa8bf3dc-eca7-46b7-bad1-db199b62afc3":   true,
		"FA8BF3DC-ECA7-46B7-BAD1-DB199B62AFC3":   true,
		"fa8bf3dc-eca7-46b7-bad1-db199b62afc":    false,
		"fa8bf3dc-eca7-46b7-bad1-db199b62afc3x":  false,
		"fa8bf3dcxeca7-46b7-bad1-db199b62afc3":   false,
		"ga8bf3dc-eca7-46b7-bad1-db199b62afc3":   false,
		"{fa8bf3dc-eca7-46b7-bad1-db199b62afc3}": false,
		"adele@contoso.com":                      false,
		"":                                       false,
	} {
		if got := isObjectID(s); got != want {
			t.Errorf("isObjectID(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestDecodeErrorNesting(t *testing.T) {
	body := []byte(`{"error":{"code":"activityLimitReached","message":"m","innerError":{"request-id":"r1","innerError":{"code":"throttledRequest","innerError":{"code":"tooManyPresenceRequests"}}}}}`)
	var e APIError
	decodeError(&e, body, "")
	if e.Code != "activityLimitReached" || e.InnerCode != "tooManyPresenceRequests" || e.RequestID != "r1" || e.Message != "m" {
		t.Errorf("decodeError = %+v", e)
	}
	for _, b := range []string{"", "<html>", `{"error":"flat string"}`, `{"error":null}`, `[]`} {
		var e APIError
		decodeError(&e, []byte(b), "")
		if e != (APIError{}) {
			t.Errorf("decodeError(%q) = %+v, want nothing", b, e)
		}
	}
}

func TestIsJSON(t *testing.T) {
	for ct, want := range map[string]bool{
		"":                 true,
		"application/json": true,
		"application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8": true,
		"Application/JSON":           true,
		"application/problem+json":   true,
		"text/html; charset=utf-8":   false,
		"text/plain":                 false,
		"application/json; charset=": false,
	} {
		if got := isJSON(ct); got != want {
			t.Errorf("isJSON(%q) = %v, want %v", ct, got, want)
		}
	}
}

// FuzzDecodePresence checks that the decoder never panics, that whatever it
// accepts has an availability, and that whatever it rejects is ErrMalformed
// without the token.
func FuzzDecodePresence(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"availability":"x","statusMessage":{"message":{"content":7}}}`))
	f.Add([]byte(`{"availability":"x","outOfOfficeSettings":{"isOutOfOffice":"yes"}}`))
	f.Add([]byte(`null`))
	const tok = "fuzz-token"
	c, err := New(Options{Tokens: nopTokens{}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		w, err := decodePresence("fuzz", body, tok)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			if strings.Contains(err.Error(), tok) {
				t.Fatalf("error leaks the token: %v", err)
			}
			if !utf8.ValidString(err.Error()) {
				t.Fatalf("error is not valid UTF-8: %q", err)
			}
			return
		}
		p := c.presence(&w, "me", time.Time{})
		if strings.TrimSpace(string(p.Availability)) == "" {
			t.Fatalf("accepted a presence without availability: %q", body)
		}
		if _, ok := mapping.ParseAvailability(string(p.Availability)); ok && !p.Availability.Known() {
			t.Fatalf("availability %q parsed as known but not Known()", p.Availability)
		}
	})
}

// FuzzDecodeBatch does the same for getPresencesByUserId bodies.
func FuzzDecodeBatch(f *testing.F) {
	for _, name := range []string{"batch.json", "batch_extra_id.json", "batch_no_value.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"value":null}`))
	f.Add([]byte(`{"value":[{"id":"","availability":"Busy"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ws, err := decodeBatch("fuzz", body, "")
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		for i, w := range ws {
			if w.ID == "" || strings.TrimSpace(w.Availability) == "" {
				t.Fatalf("accepted value[%d] = %+v", i, w)
			}
		}
	})
}

type nopTokens struct{}

func (nopTokens) Token(context.Context) (string, error) { return "", nil }

// batchBody renders a getPresencesByUserId response for n users in Graph's
// shape, with a realistic mix of values, casings and status messages.
func batchBody(n int) ([]byte, []string) {
	avail := []string{"Available", "busy", "DoNotDisturb", "Away", "offline", "BeRightBack", "Focusing"}
	act := []string{"Available", "inAMeeting", "Presenting", "Away", "OffWork", "BeRightBack", "InACall"}
	ids := make([]string, n)
	var b strings.Builder
	b.WriteString(`{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#Collection(microsoft.graph.presence)","value":[`)
	for i := range n {
		ids[i] = fmt.Sprintf("%08x-eca7-46b7-bad1-db199b62afc3", i)
		if i > 0 {
			b.WriteByte(',')
		}
		status := "null"
		if i%5 == 0 {
			status = `{"message":{"content":"Working from the Oslo office today","contentType":"text"}}`
		}
		fmt.Fprintf(&b, `{"id":%q,"availability":%q,"activity":%q,"statusMessage":%s,"outOfOfficeSettings":{"message":null,"isOutOfOffice":%t},"sequenceNumber":"%020d"}`,
			ids[i], avail[i%len(avail)], act[i%len(act)], status, i%11 == 0, 1_000_000+i)
	}
	b.WriteString(`]}`)
	return []byte(b.String()), ids
}

// BenchmarkDecodeBatch650 decodes a full 650-user batch and converts it to
// mapping.Presence, the per-poll work the client does after the bytes
// arrive (the daemon's budget is ≤ 50 ms for decode, mapping and publish of
// 1,000 users).
func BenchmarkDecodeBatch650(b *testing.B) {
	body, ids := batchBody(650)
	c, err := New(Options{Tokens: nopTokens{}})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		ws, err := decodeBatch("bench", body, "")
		if err != nil {
			b.Fatal(err)
		}
		ps, err := c.collect("bench", ids, ws, response{body: body, time: now})
		if err != nil || len(ps) != len(ids) {
			b.Fatalf("collect = %d presences, %v", len(ps), err)
		}
	}
}

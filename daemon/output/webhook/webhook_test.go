package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/mapping"
)

func view(key, name, color, label string) output.UserView {
	return output.UserView{
		Key: key, Name: name,
		Presence: mapping.Presence{User: key, Availability: "Busy", Activity: "InAMeeting"},
		Since:    time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC),
		Signal:   mapping.Signal{Color: mapping.MustColor(color), Brightness: 100, Effect: mapping.Solid, Label: label},
	}
}

func snap(seq uint64, users ...output.UserView) *output.Snapshot {
	return &output.Snapshot{Seq: seq, Users: users}
}

// request is what the test server saw.
type request struct {
	at     time.Time
	method string
	path   string
	header http.Header
	body   string
}

// recorder is a test endpoint that answers with the next of codes (the last
// one repeats) and records every request.
type recorder struct {
	mu      sync.Mutex
	codes   []int
	header  http.Header // added to every response
	reqs    []request
	got     chan request
	block   chan struct{} // when set, each request waits for a value
	active  int
	maxSeen int
}

func newRecorder(codes ...int) *recorder {
	return &recorder{codes: codes, got: make(chan request, 100), header: http.Header{}}
}

func (rc *recorder) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rq := request{at: time.Now(), method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: string(b)}
	rc.mu.Lock()
	rc.active++
	rc.maxSeen = max(rc.maxSeen, rc.active)
	rc.reqs = append(rc.reqs, rq)
	code := http.StatusOK
	if n := len(rc.reqs); len(rc.codes) > 0 {
		code = rc.codes[min(n, len(rc.codes))-1]
	}
	block := rc.block
	rc.mu.Unlock()
	rc.got <- rq
	if block != nil {
		<-block
	}
	for k, v := range rc.header {
		rw.Header()[k] = v
	}
	rw.WriteHeader(code)
	fmt.Fprintf(rw, "status %d", code)
	rc.mu.Lock()
	rc.active--
	rc.mu.Unlock()
}

func (rc *recorder) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.reqs)
}

// inProcess sends requests straight to a handler, so a synctest bubble sees
// no real network and its fake clock runs.
type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// failing is a transport whose every request fails like a refused
// connection.
type failing struct{ n *int }

func (f failing) RoundTrip(*http.Request) (*http.Response, error) {
	*f.n++
	return nil, errors.New("dial tcp 192.0.2.1:80: connect: connection refused")
}

func intp(n int) *int { return &n }

// run starts w and returns a stop func that waits for Run to return.
func run(t *testing.T, w *Webhook) (*output.Mailbox, func()) {
	t.Helper()
	mb := output.NewMailbox()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, mb) }()
	return mb, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Setenv("ONAIR_TEST_HOOK_TOKEN", "xoxp-123")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "tok"), []byte("abc\n"), 0o600)
	ok := Options{Name: "x", URL: "http://127.0.0.1/hook"}
	for _, tc := range []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"minimal", func(*Options) {}, ""},
		{"full", func(o *Options) {
			o.Method, o.Body, o.Timeout, o.Retries, o.Backoff, o.MaxBackoff = "put", `{"on": {{.On}}, "xy": {{json (xy .Color)}}, "bri": {{scale .Brightness 254}}, "t": {{unix .Since}}, "s": {{json (rfc3339 .Until)}}}`, "3s", intp(0), "200ms", "1m"
			o.Headers = map[string]Value{"Authorization": {Env: "ONAIR_TEST_HOOK_TOKEN", Prefix: "Bearer "}, "X-Key": {File: filepath.Join(dir, "tok")}, "X-Plain": {Value: "1"}}
			o.Users = []string{"me", "bob@contoso.com"}
		}, ""},
		{"no name", func(o *Options) { o.Name = "" }, "name: required"},
		{"no url", func(o *Options) { o.URL = "" }, "url: required"},
		{"ftp url", func(o *Options) { o.URL = "ftp://host/x" }, "not an http:// or https:// URL"},
		{"bad url template", func(o *Options) { o.URL = "http://h/{{.Nope}}" }, "url:"},
		{"bad method", func(o *Options) { o.Method = "TRACE" }, `method: "TRACE"`},
		{"unknown field", func(o *Options) { o.Body = "{{.Colour}}" }, "can't evaluate field Colour"},
		{"unclosed action", func(o *Options) { o.Body = "{{json .Label" }, "body:"},
		{"unset env", func(o *Options) { o.Headers = map[string]Value{"Authorization": {Env: "ONAIR_TEST_HOOK_UNSET"}} }, "ONAIR_TEST_HOOK_UNSET is not set"},
		{"missing file", func(o *Options) { o.Headers = map[string]Value{"X": {File: filepath.Join(dir, "nope")}} }, "headers.X:"},
		{"two sources", func(o *Options) { o.Headers = map[string]Value{"X": {Value: "a", Env: "ONAIR_TEST_HOOK_TOKEN"}} }, "set only one"},
		{"bad header name", func(o *Options) { o.Headers = map[string]Value{"Bad Name": {Value: "a"}} }, "not a valid header name"},
		{"header newline", func(o *Options) { o.Headers = map[string]Value{"X": {Value: "a\r\nInjected: 1"}} }, "line break"},
		{"bad timeout", func(o *Options) { o.Timeout = "10" }, `timeout: "10" is not a positive duration`},
		{"backoff over max", func(o *Options) { o.Backoff, o.MaxBackoff = "1m", "1s" }, "shorter than backoff"},
		{"negative retries", func(o *Options) { o.Retries = intp(-1) }, "retries: -1"},
		{"duplicate user", func(o *Options) { o.Users = []string{"me", "me"} }, `users[1]: "me" is listed twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := ok
			tc.edit(&o)
			err := o.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("Validate accepted it, want an error with %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("Validate: %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestXY(t *testing.T) {
	for hex, want := range map[string][2]float64{
		"#ff0000": {0.6401, 0.33},
		"#00ff00": {0.3, 0.6},
		"#0000ff": {0.15, 0.06},
		"#ffffff": {0.3127, 0.329},
		"#000000": {0.3127, 0.329},
	} {
		got, err := XY(hex)
		if err != nil || got != want {
			t.Errorf("XY(%s) = %v, %v; want %v", hex, got, err, want)
		}
	}
}

// TestTemplates sends through a real local HTTP server: the Hue body, the
// default JSON body, headers from env and file, and the users filter.
func TestTemplates(t *testing.T) {
	srv := httptest.NewServer(newRecorder())
	defer srv.Close()
	rc := srv.Config.Handler.(*recorder)
	t.Setenv("ONAIR_TEST_HOOK_TOKEN", "xoxp-secret")

	hue, err := New(Options{
		Name: "hue", Method: "PUT", URL: srv.URL + "/api/user123/lights/{{if eq .User \"me\"}}1{{else}}2{{end}}/state",
		Body:  `{"on": {{.On}}, "bri": {{scale .Brightness 254}}, "xy": {{json (xy .Color)}}, "label": {{json .Label}}, "msg": {{json .StatusMessage}}}`,
		Users: []string{"me"},
	})
	if err != nil {
		t.Fatal(err)
	}
	mb, stop := run(t, hue)
	u := view("me", "Ada", "#ff0000", "In a meeting")
	u.Presence.StatusMessage = `"quoted" <img src=x onerror=alert(1)> \ back`
	u.Signal.Brightness = 50
	mb.Put(snap(1, u, view("bob", "Bob", "#00ff00", "Available")))
	r := <-rc.got
	stop()
	if r.method != "PUT" || r.path != "/api/user123/lights/1/state" || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("request %s %s %v", r.method, r.path, r.header)
	}
	var body struct {
		On    bool
		Bri   int
		XY    [2]float64
		Label string
		Msg   string
	}
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, r.body)
	}
	if !body.On || body.Bri != 127 || body.XY != [2]float64{0.6401, 0.33} || body.Label != "In a meeting" || body.Msg != u.Presence.StatusMessage {
		t.Fatalf("body %+v from %s", body, r.body)
	}
	if n := rc.count(); n != 1 {
		t.Fatalf("%d requests, want 1 (bob is not followed)", n)
	}

	def, err := New(Options{Name: "json", URL: srv.URL + "/hook", Headers: map[string]Value{"Authorization": {Env: "ONAIR_TEST_HOOK_TOKEN", Prefix: "Bearer "}}})
	if err != nil {
		t.Fatal(err)
	}
	mb, stop = run(t, def)
	mb.Put(snap(1, u))
	r = <-rc.got
	stop()
	if r.method != "POST" || r.header.Get("Authorization") != "Bearer xoxp-secret" {
		t.Fatalf("request %s %v", r.method, r.header)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
		t.Fatalf("default body: %v\n%s", err, r.body)
	}
	for k, want := range map[string]any{"webhook": "json", "user": "me", "name": "Ada", "availability": "Busy", "activity": "InAMeeting", "color": "#ff0000", "brightness": 50.0, "effect": "solid", "on": true, "label": "In a meeting", "state": "ok", "stale": false, "online": true, "since": "2026-12-01T09:30:00Z"} {
		if doc[k] != want {
			t.Errorf("default body %s = %v, want %v", k, doc[k], want)
		}
	}
}

// TestRetryBackoff: 5xx and network errors are retried with doubling,
// jittered delays on the fake clock; Retry-After is honoured.
func TestRetryBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rc := newRecorder(503, 502, 500, 200)
		w, err := New(Options{Name: "h", URL: "http://hook.test/x", Backoff: "1s", MaxBackoff: "3s", Client: &http.Client{Transport: inProcess{rc}}})
		if err != nil {
			t.Fatal(err)
		}
		mb, stop := run(t, w)
		defer stop()
		start := time.Now()
		mb.Put(snap(1, view("me", "Ada", "#ff0000", "Busy")))
		var at []time.Duration
		for range 4 {
			r := <-rc.got
			at = append(at, r.at.Sub(start))
		}
		synctest.Wait()
		// Retry n waits base·2^(n-1), capped at 3s, of which the second
		// half is random.
		lo := []time.Duration{0, 500 * time.Millisecond, time.Second, 1500 * time.Millisecond}
		hi := []time.Duration{0, time.Second, 2 * time.Second, 3 * time.Second}
		for i := 1; i < 4; i++ {
			gap := at[i] - at[i-1]
			if gap < lo[i] || gap > hi[i] {
				t.Errorf("retry %d after %s, want %s..%s", i, gap, lo[i], hi[i])
			}
		}
		if st := w.Status()[0]; st.State != "ok" || !strings.Contains(st.Detail, "500 Internal Server Error") {
			t.Errorf("status %+v", st)
		}

		// Retry-After: 7 beats the 1 s backoff.
		rc2 := newRecorder(429, 200)
		rc2.header.Set("Retry-After", "7")
		w2, _ := New(Options{Name: "h2", URL: "http://hook.test/x", Client: &http.Client{Transport: inProcess{rc2}}})
		mb2, stop2 := run(t, w2)
		defer stop2()
		mb2.Put(snap(1, view("me", "Ada", "#ff0000", "Busy")))
		first := (<-rc2.got).at
		if gap := (<-rc2.got).at.Sub(first); gap != 7*time.Second {
			t.Errorf("retry after %s, want 7s (Retry-After)", gap)
		}

		// Network errors are retried, up to retries, then the webhook
		// reports failing.
		n := 0
		w3, _ := New(Options{Name: "h3", URL: "http://hook.test/x", Retries: intp(2), Client: &http.Client{Transport: failing{&n}}})
		mb3, stop3 := run(t, w3)
		defer stop3()
		mb3.Put(snap(1, view("me", "Ada", "#ff0000", "Busy")))
		time.Sleep(time.Hour) // fake time: every retry has happened
		synctest.Wait()
		if st := w3.Status()[0]; n != 3 || st.State != "failing" || !strings.Contains(st.Detail, "connection refused") {
			t.Errorf("%d attempts, status %+v; want 3 attempts and failing", n, st)
		}
	})
}

// Test4xxNotRetried: a request the server rejects is not sent again.
func Test4xxNotRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rc := newRecorder(400)
		w, _ := New(Options{Name: "h", URL: "http://hook.test/x", Client: &http.Client{Transport: inProcess{rc}}})
		mb, stop := run(t, w)
		defer stop()
		mb.Put(snap(1, view("me", "Ada", "#ff0000", "Busy")))
		<-rc.got
		time.Sleep(time.Hour)
		synctest.Wait()
		st := w.Status()[0]
		if n := rc.count(); n != 1 || st.State != "failing" || !strings.Contains(st.Detail, "400 Bad Request: status 400") {
			t.Fatalf("%d requests, status %+v; want 1 and failing with the response", n, st)
		}
	})
}

// TestLatestOnly: while a request is in flight, three changes of one user
// and one of another leave two requests: that user's latest and the other's.
func TestLatestOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rc := newRecorder()
		rc.block = make(chan struct{})
		w, _ := New(Options{Name: "h", URL: "http://hook.test/x", Body: "{{.User}} {{.Color}}", Client: &http.Client{Transport: inProcess{rc}}})
		mb, stop := run(t, w)
		defer stop()
		a, b := view("a", "A", "#ff0000", "Busy"), view("b", "B", "#00ff00", "Available")
		mb.Put(snap(1, a, b))
		<-rc.got // a #ff0000 in flight
		for i, c := range []string{"#0000ff", "#ffff00", "#ff00ff"} {
			a2 := view("a", "A", c, "x")
			b2 := b
			if i == 2 {
				b2 = view("b", "B", "#000001", "x")
			}
			mb.Put(snap(uint64(i+2), a2, b2))
			synctest.Wait()
		}
		if st := w.Status()[0]; !strings.Contains(st.Detail, "2 users waiting") {
			t.Errorf("status while blocked: %+v", st)
		}
		for range 3 {
			rc.block <- struct{}{}
			synctest.Wait()
		}
		rc.mu.Lock()
		var bodies []string
		for _, r := range rc.reqs {
			bodies = append(bodies, r.body)
		}
		maxSeen := rc.maxSeen
		rc.mu.Unlock()
		// b's first state was still waiting when its next came, so only
		// the next is sent; a's three changes collapse into its latest.
		want := []string{"a #ff0000", "b #000001", "a #ff00ff"}
		if strings.Join(bodies, "|") != strings.Join(want, "|") {
			t.Errorf("requests %q, want %q", bodies, want)
		}
		if maxSeen != 1 {
			t.Errorf("%d requests in flight at once, want 1", maxSeen)
		}
		close(rc.block)
	})
}

// TestRetryTakesLatest: a newer state of the user whose request is being
// retried replaces it; the old state is not sent again.
func TestRetryTakesLatest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rc := newRecorder(503, 200)
		w, _ := New(Options{Name: "h", URL: "http://hook.test/x", Body: "{{.Color}}", Client: &http.Client{Transport: inProcess{rc}}})
		mb, stop := run(t, w)
		defer stop()
		mb.Put(snap(1, view("a", "A", "#ff0000", "Busy")))
		<-rc.got
		synctest.Wait() // backing off
		mb.Put(snap(2, view("a", "A", "#00ff00", "Free")))
		if r := <-rc.got; r.body != "#00ff00" {
			t.Fatalf("retry sent %q, want the newer #00ff00", r.body)
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		if n := rc.count(); n != 2 {
			t.Fatalf("%d requests, want 2", n)
		}
	})
}

// TestRedaction: header secrets and the URL path (a Hue username) appear
// in no log line, error or status, nor in a printed Options. The HTTP
// client's own errors name the full URL; they must not leak it either.
func TestRedaction(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t.Setenv("ONAIR_TEST_HOOK_TOKEN", "tok-SECRET-1")
		var logs bytes.Buffer
		log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		o := Options{
			Name: "h", URL: "http://bridge.test/api/USER-SECRET-2/lights/1/state", Retries: intp(1), Logger: log,
			Headers: map[string]Value{"Authorization": {Env: "ONAIR_TEST_HOOK_TOKEN", Prefix: "Bearer "}, "X-Api-Key": {Value: "key-SECRET-3"}},
		}
		rc := newRecorder(500)
		o.Client = &http.Client{Transport: inProcess{rc}}
		w500, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		o.Client = &http.Client{Transport: failing{&n}}
		wNet, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		var st []output.Status
		for _, w := range []*Webhook{w500, wNet} {
			mb, stop := run(t, w)
			mb.Put(snap(1, view("me", "Ada", "#ff0000", "Busy")))
			time.Sleep(time.Hour)
			synctest.Wait()
			stop()
			st = append(st, w.Status()...)
		}
		if rc.count() != 2 || n != 2 || st[0].State != "failing" || st[1].State != "failing" {
			t.Fatalf("requests %d and %d, status %+v: want 2 attempts each, failing", rc.count(), n, st)
		}
		if r := rc.reqs[0]; r.header.Get("Authorization") != "Bearer tok-SECRET-1" || r.header.Get("X-Api-Key") != "key-SECRET-3" {
			t.Fatalf("headers not sent: %v", r.header)
		}
		status := fmt.Sprintf("%+v", st)
		printed := fmt.Sprintf("%v %+v %#v", o.Headers, o.Headers, o.Headers)
		for what, text := range map[string]string{"logs": logs.String(), "status": status, "printed options": printed} {
			if strings.Contains(text, "SECRET") {
				t.Errorf("%s contain a secret:\n%s", what, text)
			}
		}
		for what, want := range map[string]string{
			"printed options": "REDACTED", "logs": `"headers":["Authorization","Content-Type","X-Api-Key"]`,
			"status": "POST http://bridge.test/…: dial tcp 192.0.2.1:80: connect: connection refused",
		} {
			text := map[string]string{"logs": logs.String(), "status": status, "printed options": printed}[what]
			if !strings.Contains(text, want) {
				t.Errorf("%s: want %q in\n%s", what, want, text)
			}
		}
	})
}

package web

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/daemon/secret"
	"github.com/onair-dev/onair/mapping"
)

const xss = `<img src=x onerror=alert(1)>`

func view(key, name string, c string, label string) output.UserView {
	return output.UserView{
		Key: key, Name: name,
		Presence: mapping.Presence{User: key, Availability: "Busy", Activity: "InAMeeting"},
		Since:    time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC),
		Signal:   mapping.Signal{Color: mapping.MustColor(c), Brightness: 100, Effect: mapping.Solid, Label: label, Rule: "test"},
	}
}

func snapshot(seq uint64, users ...output.UserView) *output.Snapshot {
	return &output.Snapshot{Seq: seq, Time: time.Now(), Users: users, Health: output.Health{LastPoll: time.Now()}}
}

// start runs a web output on a free loopback port until the test ends.
// stop cancels Run and waits for it to return.
func start(t *testing.T, o Options) (w *Web, mb *output.Mailbox, stop func()) {
	t.Helper()
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	w, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	mb = output.NewMailbox()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, mb) }()
	<-w.Started()
	if w.URL() == "" {
		cancel()
		t.Fatalf("web did not listen: %v", <-done)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return w, mb, stop
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	tokFile := filepath.Join(dir, "token")
	os.WriteFile(tokFile, []byte("0123456789abcdef0123\n"), 0o600)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o600)
	t.Setenv("ONAIR_TEST_WEB_TOKEN", "fedcba9876543210fedc")
	for _, tc := range []struct {
		name string
		o    Options
		want string // substring of the error, "" for none
	}{
		{"default", Options{}, ""},
		{"loopback v6", Options{Listen: "[::1]:8765"}, ""},
		{"localhost", Options{Listen: "localhost:9000"}, ""},
		{"all interfaces without protection", Options{Listen: ":8765"}, "set token_file (or token_env)"},
		{"lan without protection", Options{Listen: "192.168.1.10:8765"}, "reachable beyond this machine"},
		{"lan with token file", Options{Listen: "0.0.0.0:8765", TokenFile: tokFile}, ""},
		{"lan with token env", Options{Listen: "0.0.0.0:8765", TokenEnv: "ONAIR_TEST_WEB_TOKEN"}, ""},
		{"lan with allow-list", Options{Listen: "0.0.0.0:8765", Allow: []string{"192.168.1.0/24", "10.0.0.7"}}, ""},
		{"bad cidr", Options{Allow: []string{"192.168.1/24"}}, `allow[0]: "192.168.1/24" is not a network`},
		{"short token", Options{Token: secret.New("abc")}, "too short"},
		{"two token sources", Options{Token: secret.New("0123456789abcdef0"), TokenEnv: "ONAIR_TEST_WEB_TOKEN"}, "set only one"},
		{"missing token file", Options{TokenFile: filepath.Join(dir, "nope")}, "token_file:"},
		{"empty token file", Options{TokenFile: empty}, "is empty"},
		{"unset token env", Options{TokenEnv: "ONAIR_TEST_WEB_UNSET"}, "ONAIR_TEST_WEB_UNSET is not set"},
		{"no port", Options{Listen: "127.0.0.1"}, "is not host:port"},
		{"tls half", Options{TLSCert: "cert.pem"}, "set both"},
		{"tls missing", Options{TLSCert: filepath.Join(dir, "c.pem"), TLSKey: filepath.Join(dir, "k.pem")}, "tls_cert, tls_key:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.o.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("Validate accepted %+v, want an error with %q", tc.o, tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("Validate: %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestSecurity(t *testing.T) {
	const tok = "s3cret-read-token-0123"
	w, err := New(Options{Listen: "0.0.0.0:0", Token: secret.New(tok)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w.Handler())
	defer srv.Close()

	do := func(method, path string, hdr ...string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for _, tc := range []struct {
		method, path string
		hdr          []string
		want         int
	}{
		{"GET", "/", nil, 401},
		{"GET", "/api/v1/state", nil, 401},
		{"GET", "/api/v1/events", nil, 401},
		{"GET", "/sign/me", nil, 401},
		{"GET", "/api/v1/state?token=wrong-token-000000000", nil, 401},
		{"GET", "/api/v1/state", []string{"Authorization", "Bearer wrong"}, 401},
		{"GET", "/api/v1/state?token=" + tok, nil, 200},
		{"GET", "/api/v1/state", []string{"Authorization", "Bearer " + tok}, 200},
		{"GET", "/?token=" + tok, nil, 200},
		{"HEAD", "/?token=" + tok, nil, 200},
		{"GET", "/static/sign.js", nil, 200}, // no data in it: kiosks load it without the token
		{"POST", "/api/v1/state?token=" + tok, nil, 405},
		{"PUT", "/api/v1/state?token=" + tok, nil, 405},
		{"DELETE", "/api/v1/state?token=" + tok, nil, 405},
		{"PATCH", "/", nil, 405},
		{"POST", "/api/v1/events", nil, 405},
		{"GET", "/nope?token=" + tok, nil, 404},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			resp := do(tc.method, tc.path, tc.hdr...)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
			h := resp.Header
			for k, want := range map[string]string{
				"X-Content-Type-Options": "nosniff",
				"Referrer-Policy":        "no-referrer",
				"X-Frame-Options":        "DENY",
			} {
				if got := h.Get(k); got != want {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
			csp := h.Get("Content-Security-Policy")
			if !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("Content-Security-Policy %q: want default-src 'self' and no unsafe-inline", csp)
			}
			if tc.want == 405 && h.Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow: %q", h.Get("Allow"))
			}
			if tc.want == 200 && strings.HasPrefix(tc.path, "/api/") && h.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control: %q, want no-store", h.Get("Cache-Control"))
			}
		})
	}
}

func TestAllowList(t *testing.T) {
	w, err := New(Options{Listen: "0.0.0.0:0", Allow: []string{"192.168.1.0/24"}})
	if err != nil {
		t.Fatal(err)
	}
	h := w.Handler()
	for remote, want := range map[string]int{
		"192.168.1.20:5555":       200,
		"127.0.0.1:5555":          200,
		"[::1]:5555":              200,
		"192.168.2.20:5555":       403,
		"[::ffff:10.0.0.1]:5555":  403,
		"[::ffff:192.168.1.9]:80": 200,
	} {
		req := httptest.NewRequest("GET", "/api/v1/state", nil)
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("%s: status %d, want %d", remote, rec.Code, want)
		}
	}
}

// TestSignEscapes: a status message from Graph is text, never markup, in the
// page the server renders (the browser test checks the script's side).
func TestSignEscapes(t *testing.T) {
	w, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	u := view("me", `Ada "<b>"`, "#ff0000", "Busy")
	u.Presence.StatusMessage = xss
	w.snap.Store(snapshot(1, u))
	rec := httptest.NewRecorder()
	w.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/sign/me", nil))
	body := rec.Body.String()
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	if strings.Contains(body, "<img") || strings.Contains(body, "<b>") {
		t.Fatalf("untrusted markup reached the page:\n%s", body)
	}
	if !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Fatalf("status message not shown escaped:\n%s", body)
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, "style=") {
		t.Fatalf("inline script or style in the page (the CSP forbids them):\n%s", body)
	}

	rec = httptest.NewRecorder()
	w.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/sign/nobody", nil))
	if rec.Code != 404 || !strings.Contains(rec.Body.String(), "graph.users") {
		t.Fatalf("unknown user: status %d\n%s", rec.Code, rec.Body.String())
	}
}

func TestStateDocument(t *testing.T) {
	w, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	u := view("me", "Ada", "#ff0000", "In a meeting")
	u.Presence.StatusMessage = xss
	w.snap.Store(snapshot(7, u, view("bob@contoso.com", "Bob", "#00ff00", "Available")))
	rec := httptest.NewRecorder()
	w.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/state", nil))
	var doc struct {
		Seq    uint64
		Health struct{ State string }
		Users  []map[string]any
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, rec.Body.String())
	}
	if doc.Seq != 7 || doc.Health.State != "ok" || len(doc.Users) != 2 {
		t.Fatalf("doc %+v", doc)
	}
	got := doc.Users[0]
	for k, want := range map[string]any{"user": "me", "color": "#ff0000", "label": "In a meeting", "status_message": xss, "state": "ok", "since": "2026-12-01T09:30:00Z"} {
		if got[k] != want {
			t.Errorf("users[0].%s = %v, want %v", k, got[k], want)
		}
	}

	w2, _ := New(Options{State: func() any { return map[string]string{"version": "injected"} }})
	rec = httptest.NewRecorder()
	w2.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/state", nil))
	if !strings.Contains(rec.Body.String(), `"version": "injected"`) {
		t.Fatalf("State func not served: %s", rec.Body.String())
	}
}

// sse reads events from a stream.
type sse struct {
	r *bufio.Reader
}

func (s sse) next(t *testing.T) (string, string) {
	t.Helper()
	var typ, data string
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			t.Fatalf("read event: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "event: "):
			typ = line[7:]
		case strings.HasPrefix(line, "data: "):
			data = line[6:]
		case line == "" && typ != "":
			return typ, data
		}
	}
}

// nextNot skips heartbeats and returns the next other event.
func (s sse) nextNot(t *testing.T, skip ...string) (string, string) {
	for {
		typ, data := s.next(t)
		if typ == "heartbeat" || strings.Contains(strings.Join(skip, ","), typ) {
			continue
		}
		return typ, data
	}
}

func openEvents(t *testing.T, url string) (sse, func()) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("events: %s %v", resp.Status, resp.Header)
	}
	return sse{bufio.NewReader(resp.Body)}, func() { resp.Body.Close() }
}

// TestEvents: a stream starts with a snapshot, then sends one user event
// per changed user (only that user for a sign), a health event when the
// daemon's part changes, and a snapshot when the user list changes.
func TestEvents(t *testing.T) {
	w, mb, _ := start(t, Options{Outputs: func() []output.Status { return []output.Status{{Name: "lights", State: "ok"}} }})
	users := make([]output.UserView, 1000)
	for i := range users {
		users[i] = view(fmt.Sprintf("u%04d", i), fmt.Sprintf("User %04d", i), "#00ff00", "Available")
	}
	s1 := snapshot(1, users...)
	mb.Put(s1)

	all, closeAll := openEvents(t, w.URL()+"/api/v1/events")
	defer closeAll()
	one, closeOne := openEvents(t, w.URL()+"/api/v1/events?user=u0500")
	defer closeOne()

	// The stream may open before or after s1 reaches the output: wait for
	// a snapshot that has the users.
	firstSnapshot := func(s sse, n int) {
		for {
			typ, data := s.nextNot(t, "health")
			if typ != "snapshot" {
				t.Fatalf("got %s before a snapshot", typ)
			}
			var d stateJSON
			json.Unmarshal([]byte(data), &d)
			if len(d.Users) == n {
				if len(d.Outputs) != 1 || d.Outputs[0].Name != "lights" {
					t.Fatalf("snapshot outputs %+v", d.Outputs)
				}
				return
			}
		}
	}
	firstSnapshot(all, 1000)
	firstSnapshot(one, 1)

	s2 := *s1
	s2.Seq = 2
	s2.Users = append([]output.UserView(nil), s1.Users...)
	s2.Users[500] = view("u0500", "User 0500", "#ff0000", "Busy")
	s2.Users[501].Presence.Time = time.Now() // not shown: no event
	mb.Put(&s2)

	for _, s := range []sse{all, one} {
		// A second snapshot of s1 may come first if the stream opened
		// while s1 was being published.
		typ, data := s.nextNot(t, "snapshot", "health")
		var u userJSON
		json.Unmarshal([]byte(data), &u)
		if typ != "user" || u.User != "u0500" || u.Color != "#ff0000" || u.Label != "Busy" {
			t.Fatalf("got %s %.300s, want the user event of u0500", typ, data)
		}
	}

	s3 := s2
	s3.Seq = 3
	s3.Users = append([]output.UserView(nil), s2.Users...)
	s3.Users[1] = view("u0001", "User 0001", "#ffff00", "Away")
	s3.Health.State = mapping.StateStale
	mb.Put(&s3)
	got := map[string]string{}
	for len(got) < 2 {
		typ, data := all.nextNot(t)
		got[typ] = data
	}
	if !strings.Contains(got["user"], `"user":"u0001"`) || !strings.Contains(got["health"], `"state":"stale"`) {
		t.Fatalf("events %.600v", got)
	}
	// The sign of u0500 gets the health change but not u0001's.
	if typ, data := one.nextNot(t); typ != "health" {
		t.Fatalf("sign stream got %s %.300s, want health", typ, data)
	}

	s4 := snapshot(4, users[:3]...)
	mb.Put(s4)
	if typ, data := all.nextNot(t, "health"); typ != "snapshot" || strings.Count(data, `"user":`) != 3 {
		t.Fatalf("got %s %.200s, want a snapshot of 3 users", typ, data)
	}
}

// TestStreamsEndWithRun: stopping the output ends every stream, so the
// pages notice at once, and Run returns.
func TestStreamsEndWithRun(t *testing.T) {
	w, mb, stop := start(t, Options{})
	mb.Put(snapshot(1, view("me", "Ada", "#ff0000", "Busy")))
	s, closeS := openEvents(t, w.URL()+"/api/v1/events")
	defer closeS()
	s.next(t)
	if st := w.Status()[0]; st.State != "listening" || !strings.Contains(st.Detail, "(1 connected)") {
		t.Fatalf("status while streaming: %+v", st)
	}
	stop()
	if _, err := io.ReadAll(s.r); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("stream did not end cleanly: %v", err)
	}
	if st := w.Status()[0]; st.State != "stopped" {
		t.Fatalf("status after Run returned: %+v", st)
	}
}

func TestListenError(t *testing.T) {
	w1, _, _ := start(t, Options{})
	addr := strings.TrimPrefix(w1.URL(), "http://")
	w2, err := New(Options{Listen: addr})
	if err != nil {
		t.Fatal(err)
	}
	err = w2.Run(context.Background(), output.NewMailbox())
	if err == nil || !strings.Contains(err.Error(), "change web.listen") {
		t.Fatalf("Run on a used port: %v", err)
	}
	if st := w2.Status()[0]; st.State != "error" {
		t.Fatalf("status %+v", st)
	}
}

// TestPageWeight keeps the pages light enough for an old tablet on weak
// Wi-Fi: everything a page loads, as served (no compression), within a
// budget of 32 KB.
func TestPageWeight(t *testing.T) {
	w, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.snap.Store(snapshot(1, view("me", "Ada", "#ff0000", "Busy")))
	h := w.Handler()
	size := func(path string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 200 {
			t.Fatalf("%s: status %d", path, rec.Code)
		}
		return rec.Body.Len()
	}
	for page, files := range map[string][]string{
		"sign":  {"/sign/me", "/static/common.js", "/static/sign.js", "/static/onair.css"},
		"board": {"/", "/static/common.js", "/static/board.js", "/static/onair.css"},
	} {
		total := 0
		for _, f := range files {
			total += size(f)
		}
		t.Logf("%s page weight: %.1f KB in %d requests, plus its event stream", page, float64(total)/1024, len(files))
		if total > 32*1024 {
			t.Errorf("%s page weighs %d bytes, over the 32 KB budget", page, total)
		}
	}
	users := make([]output.UserView, 1000)
	for i := range users {
		users[i] = view(fmt.Sprintf("user%04d@contoso.com", i), fmt.Sprintf("User %04d", i), "#00ff00", "Available")
	}
	snap := frame("snapshot", w.stateOf(snapshot(1, users...), ""))
	user := frame("user", userOf(users[0]))
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	zw.Write(snap)
	zw.Close()
	t.Logf("events: a snapshot of 1000 users is %.0f KB (%.0f KB gzipped), one user event %d bytes", float64(len(snap))/1024, float64(gz.Len())/1024, len(user))
}

// TestGzip: state and events are compressed for clients that accept it,
// and not for others.
func TestGzip(t *testing.T) {
	w, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.snap.Store(snapshot(1, view("me", "Ada", "#ff0000", "Busy")))
	for ae, want := range map[string]bool{"gzip, deflate, br": true, "br;q=1, gzip;q=0.5": true, "gzip;q=0": false, "": false, "identity": false} {
		req := httptest.NewRequest("GET", "/api/v1/state", nil)
		req.Header.Set("Accept-Encoding", ae)
		rec := httptest.NewRecorder()
		w.Handler().ServeHTTP(rec, req)
		body := rec.Body.Bytes()
		if got := rec.Header().Get("Content-Encoding") == "gzip"; got != want {
			t.Errorf("Accept-Encoding %q: gzip %v, want %v", ae, got, want)
			continue
		}
		if want {
			zr, err := gzip.NewReader(rec.Body)
			if err != nil {
				t.Fatal(err)
			}
			body, _ = io.ReadAll(zr)
		}
		if !json.Valid(body) || !bytes.Contains(body, []byte(`"user": "me"`)) {
			t.Errorf("Accept-Encoding %q: body %.200q", ae, body)
		}
	}
}

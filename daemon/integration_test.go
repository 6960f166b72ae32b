package daemon

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/onair-dev/onair/daemon/auth/entratest"
	"github.com/onair-dev/onair/daemon/config"
	"github.com/onair-dev/onair/daemon/graph"
	"github.com/onair-dev/onair/daemon/graph/graphtest"
	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/mapping"
)

// syncBuffer is a goroutine-safe buffer for logs and terminal output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// notifier is a recorder that also signals every snapshot on a channel.
type notifier struct {
	recorder
	c chan *output.Snapshot
}

func (n *notifier) Run(ctx context.Context, mb *output.Mailbox) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case s := <-mb.C():
			n.mu.Lock()
			n.snaps = append(n.snaps, s)
			n.mu.Unlock()
			select {
			case n.c <- s:
			default:
			}
		}
	}
}

// waitFor waits until a snapshot satisfies ok, or fails after limit.
func (n *notifier) waitFor(t *testing.T, limit time.Duration, what string, ok func(*output.Snapshot) bool) *output.Snapshot {
	t.Helper()
	if s := n.last(); s != nil && ok(s) {
		return s
	}
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for {
		select {
		case s := <-n.c:
			if ok(s) {
				return s
			}
		case <-timer.C:
			s := n.last()
			t.Fatalf("no %s within %v; last snapshot: %+v", what, limit, s)
		}
	}
}

// fakeCloud is a fake Entra ID and a fake Graph that trusts its tokens.
type fakeCloud struct {
	entra *entratest.Server
	graph *graphtest.Server
	me    string
	paths config.Paths
	logs  *syncBuffer
	log   *slog.Logger
}

func newFakeCloud(t *testing.T, eopts entratest.Options) *fakeCloud {
	t.Helper()
	entra := entratest.New(t, eopts)
	g := graphtest.NewServer(graphtest.Options{Authorize: entra.ValidAccessToken})
	t.Cleanup(g.Close)
	me := graphtest.ID(1)
	g.AddUser(me, entratest.Username, entratest.Name)
	g.SetPresence(me, "Available", "Available")
	dir := t.TempDir()
	logs := &syncBuffer{}
	return &fakeCloud{
		entra: entra, graph: g, me: me, logs: logs,
		log:   slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		paths: config.Paths{TokenCache: filepath.Join(dir, "tokens.json"), Socket: filepath.Join(dir, "onair.sock")},
	}
}

func (f *fakeCloud) config(t *testing.T, extra string) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(fmt.Sprintf("version: 1\ngraph:\n  client_id: %s\n  authority: %s\n  base_url: %s\n  interval: 2s\n%s",
		entratest.ClientID, f.entra.Authority(), f.graph.URL(), extra)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// login signs in with the device-code flow, as `onair login` does.
func (f *fakeCloud) login(t *testing.T, cfg *config.Config) {
	t.Helper()
	a, err := NewAuth(cfg, f.paths, f.entra.Client(), f.log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.LoginDeviceCode(t.Context(), nil); err != nil {
		t.Fatalf("device-code login: %v", err)
	}
}

func (f *fakeCloud) run(t *testing.T, cfg *config.Config, term *syncBuffer) (*Daemon, *notifier) {
	t.Helper()
	n := &notifier{c: make(chan *output.Snapshot, 16)}
	opts := Options{Config: cfg, Paths: f.paths, Logger: f.log, HTTPClient: f.entra.Client(), NoLights: true, outputs: []output.Output{n}}
	if term != nil {
		opts.Terminal = term
	}
	d, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return d, n
}

// waitText waits briefly for the terminal light to print every want: it
// runs on its own goroutine, just after the snapshot was handed out.
func waitText(t *testing.T, b *syncBuffer, want ...string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		out := b.String()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(out, w)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("terminal light lacks %q:\n%s", want, out)
		}
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond)
	}
}

func signalIs(rule string) func(*output.Snapshot) bool {
	return func(s *output.Snapshot) bool { return s.Users[0].Signal.Rule == rule }
}

func TestSignInPollAndRecoverAgainstFakeCloud(t *testing.T) {
	// Access tokens live 1 minute: MSAL caches none that expire within 5,
	// so every poll redeems the refresh token, as it does for an expired one.
	f := newFakeCloud(t, entratest.Options{PendingPolls: 2, AccessTokenLifetime: time.Minute})
	cfg := f.config(t, "")
	term := &syncBuffer{}

	// Before any sign-in the daemon runs and shows login-required.
	d, n := f.run(t, cfg, term)
	s := n.waitFor(t, 5*time.Second, "login-required signal", signalIs("login-required"))
	if s.Health.State != mapping.StateLoginRequired {
		t.Fatalf("health = %q, want login-required", s.Health.State)
	}

	// Device-code sign-in (pending twice, then approved), then the poke
	// `onair login` sends: the daemon recovers without a restart.
	f.login(t, cfg)
	if c := f.entra.Counts(); c.DeviceCodePolls != 3 {
		t.Errorf("device-code polls = %d, want 3 (2 pending + approved)", c.DeviceCodePolls)
	}
	d.PollNow()
	n.waitFor(t, 5*time.Second, "available signal after login", signalIs("available"))

	// A presence change at the fake reaches the terminal light within one
	// interval (2 s, plus jitter and a margin for a loaded machine).
	f.graph.SetPresence(f.me, "Busy", "InAMeeting")
	changed := time.Now()
	n.waitFor(t, d.Interval()+d.Interval()/10+2*time.Second, "meeting signal", signalIs("in-a-meeting"))
	t.Logf("change reached the output after %v", time.Since(changed).Round(time.Millisecond))
	waitText(t, term, "Busy/InAMeeting", "rule=in-a-meeting")

	// An expired access token is refreshed silently.
	refreshes := f.entra.Counts().RefreshToken
	f.entra.ExpireAccessTokens()
	f.graph.SetPresence(f.me, "Away", "Away")
	n.waitFor(t, 6*time.Second, "away signal after token expiry", signalIs("away"))
	if got := f.entra.Counts().RefreshToken; got <= refreshes {
		t.Errorf("refresh-token grants = %d, want more than %d", got, refreshes)
	}

	// Refresh denied: login-required, daemon alive; a new login recovers.
	f.entra.DenyRefresh()
	f.entra.ExpireAccessTokens()
	s = n.waitFor(t, 6*time.Second, "login-required after refresh denied", signalIs("login-required"))
	if !strings.Contains(s.Health.Remedy, "onair login") {
		t.Errorf("remedy = %q", s.Health.Remedy)
	}
	f.login(t, cfg)
	d.PollNow()
	n.waitFor(t, 5*time.Second, "away signal after new login", signalIs("away"))

	// No token ever appears in the logs, at debug level.
	logs := f.logs.String()
	for _, secret := range []string{entratest.AccessToken, entratest.RefreshToken} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain a token (%s…)", secret)
		}
	}
}

func TestRevokedCachedTokenIsRefreshed(t *testing.T) {
	// Hour-long tokens: MSAL serves its cached copy. When Graph rejects it
	// (revoked), the daemon refreshes once instead of declaring the
	// sign-in lost.
	f := newFakeCloud(t, entratest.Options{})
	cfg := f.config(t, "")
	f.login(t, cfg)
	_, n := f.run(t, cfg, nil)
	n.waitFor(t, 5*time.Second, "available signal", signalIs("available"))
	if c := f.entra.Counts().RefreshToken; c != 0 {
		t.Fatalf("refresh grants before revocation = %d, want 0 (cached token)", c)
	}
	f.entra.ExpireAccessTokens()
	f.graph.SetPresence(f.me, "DoNotDisturb", "Presenting")
	s := n.waitFor(t, 6*time.Second, "presenting signal after revocation", signalIs("presenting"))
	if s.Health.State != mapping.StateNormal {
		t.Errorf("health = %q, want ok", s.Health.State)
	}
	if c := f.entra.Counts().RefreshToken; c != 1 {
		t.Errorf("refresh grants = %d, want 1", c)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, snap := range n.snaps {
		if snap.Users[0].State == mapping.StateLoginRequired {
			t.Fatal("a revoked but refreshable token showed login-required")
		}
	}
}

func TestBatchOf651UsersIsTwoRequestsPerPoll(t *testing.T) {
	f := newFakeCloud(t, entratest.Options{})
	var users strings.Builder
	users.WriteString("  users:\n")
	for i := 2; i <= 652; i++ { // 651 colleagues
		id := graphtest.ID(i)
		f.graph.AddUser(id, fmt.Sprintf("user%d@contoso.example", i), fmt.Sprintf("User %d", i))
		f.graph.SetPresence(id, "Busy", "InACall")
		fmt.Fprintf(&users, "    - %s\n", id)
	}
	cfg := f.config(t, users.String())
	f.login(t, cfg)
	_, n := f.run(t, cfg, nil)
	s := n.waitFor(t, 10*time.Second, "presence of all users", func(s *output.Snapshot) bool {
		return len(s.Users) == 652 && s.Users[651].Presence.Activity == mapping.ActivityInACall
	})
	if got := s.Users[651].Signal.Rule; got != "in-a-call" {
		t.Errorf("last colleague's rule = %q", got)
	}
	if err := f.graph.WaitRequests(t.Context(), graphtest.EndpointMe, 2); err != nil {
		t.Fatal(err)
	}
	// Count requests across exactly one poll: between the 2nd and 3rd /me.
	f.graph.ResetRequests()
	if err := f.graph.WaitRequests(t.Context(), graphtest.EndpointMe, 1); err != nil {
		t.Fatal(err)
	}
	if err := f.graph.WaitRequests(t.Context(), graphtest.EndpointBatch, 2); err != nil {
		t.Fatal(err)
	}
	f.graph.ResetRequests()
	if err := f.graph.WaitRequests(t.Context(), graphtest.EndpointMe, 1); err != nil {
		t.Fatal(err)
	}
	if err := f.graph.WaitRequests(t.Context(), graphtest.EndpointBatch, 2); err != nil {
		t.Fatal(err)
	}
	if got := f.graph.Requests(graphtest.EndpointBatch); got != 2 {
		t.Errorf("batch requests in one poll = %d, want exactly 2", got)
	}
	if got := f.graph.Requests(graphtest.EndpointUser); got != 0 {
		t.Errorf("user look-ups = %d, want 0 for object IDs", got)
	}
}

func TestOneBadColleagueDoesNotBreakTheOthers(t *testing.T) {
	f := newFakeCloud(t, entratest.Options{})
	lee := graphtest.ID(2)
	f.graph.AddUser(lee, "lee@contoso.example", "Lee")
	f.graph.SetPresence(lee, "Busy", "InACall")
	cfg := f.config(t, "  users:\n    - lee@contoso.example\n    - gone@contoso.example\n")
	f.login(t, cfg)
	_, n := f.run(t, cfg, nil)
	s := n.waitFor(t, 5*time.Second, "presence of me and Lee", func(s *output.Snapshot) bool {
		return s.Users[0].Signal.Rule == "available" && s.Users[1].Signal.Rule == "in-a-call"
	})
	gone := s.Users[2]
	if gone.State != mapping.StateError || gone.Signal.Rule != "error" || !strings.Contains(gone.Err, "gone@contoso.example") {
		t.Errorf("unknown colleague = state %q rule %q err %q, want error naming the user", gone.State, gone.Signal.Rule, gone.Err)
	}
	if s.Health.State != mapping.StateNormal || !strings.Contains(s.Health.Err, "gone@contoso.example") {
		t.Errorf("health = %q %q, want ok with the failed user named", s.Health.State, s.Health.Err)
	}
}

// TestClientIDAddedWhileRunning is the usual first run: the service starts
// with no client ID, the user edits the config and signs in, and the
// running daemon follows without a restart.
func TestClientIDAddedWhileRunning(t *testing.T) {
	f := newFakeCloud(t, entratest.Options{})
	f.paths.Config = filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(f.paths.Config, []byte("version: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty, err := config.Load(f.paths.Config)
	if err != nil {
		t.Fatal(err)
	}
	d, n := f.run(t, empty, nil)
	s := n.waitFor(t, 5*time.Second, "login-required without a client ID", signalIs("login-required"))
	if !strings.Contains(s.Health.Remedy, "graph.client_id") {
		t.Errorf("remedy = %q, want it to name graph.client_id", s.Health.Remedy)
	}
	if st := d.Status(t.Context()); !strings.Contains(st.Account, "no client ID") {
		t.Errorf("status account = %q", st.Account)
	}

	cfg := f.config(t, "")
	text := fmt.Sprintf("version: 1\ngraph:\n  client_id: %s\n  authority: %s\n  base_url: %s\n", entratest.ClientID, f.entra.Authority(), f.graph.URL())
	if err := os.WriteFile(f.paths.Config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	f.login(t, cfg)
	d.PollNow() // what `onair login` does
	n.waitFor(t, 5*time.Second, "available after adding the client ID and signing in", signalIs("available"))
	if st := d.Status(t.Context()); st.Account != entratest.Username {
		t.Errorf("status account = %q, want %q", st.Account, entratest.Username)
	}
}

// inProcess serves requests by calling a handler directly: no network, so
// it works inside a testing/synctest bubble.
type inProcess struct{ h http.Handler }

func (p inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	w := httptest.NewRecorder()
	p.h.ServeHTTP(w, r)
	resp := w.Result()
	resp.Request = r
	return resp, nil
}

// TestRetryAfterFromGraphHonouredExactly: Graph answers 429 with
// Retry-After: 7; through the real client, the error classification and
// the poll timer, the next request comes exactly 7 s later, not before.
func TestRetryAfterFromGraphHonouredExactly(t *testing.T) {
	g := graphtest.NewServer(graphtest.Options{}) // outside the bubble: it listens
	t.Cleanup(g.Close)
	g.AddUser(graphtest.ID(1), "adele@contoso.example", "Adele")
	g.SetPresence(graphtest.ID(1), "Busy", "InAMeeting")
	synctest.Test(t, func(t *testing.T) {
		g.InjectFault(1, graphtest.Fault{Kind: graphtest.Throttle, Endpoint: graphtest.EndpointMe, RetryAfter: "7"})
		gc, err := graph.New(graph.Options{BaseURL: "http://graph.test/v1.0", Tokens: staticToken("token"), HTTPClient: &http.Client{Transport: inProcess{g.Handler()}}})
		if err != nil {
			t.Fatal(err)
		}
		_, rec, stop := start(t, "version: 1\ngraph:\n  interval: 2s\n", &graphSource{g: gc, ids: map[string]string{}, log: slog.New(slog.DiscardHandler)})
		defer stop()
		synctest.Wait()
		if n := g.Requests(graphtest.EndpointMe); n != 1 {
			t.Fatalf("requests at start = %d, want 1", n)
		}
		time.Sleep(7*time.Second - time.Millisecond)
		synctest.Wait()
		if n := g.Requests(graphtest.EndpointMe); n != 1 {
			t.Fatalf("%d requests before Retry-After: 7 ran out, want 1", n)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if n := g.Requests(graphtest.EndpointMe); n != 2 {
			t.Fatalf("requests 7 s after the 429 = %d, want 2", n)
		}
		if got := rec.signal(); got.Rule != "in-a-meeting" {
			t.Errorf("signal after the retry = %q, want in-a-meeting", got.Rule)
		}
	})
}

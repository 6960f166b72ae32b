package daemon

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/onair-dev/onair/daemon/auth"
	"github.com/onair-dev/onair/daemon/auth/entratest"
	"github.com/onair-dev/onair/daemon/config"
	"github.com/onair-dev/onair/daemon/graph"
	"github.com/onair-dev/onair/daemon/graph/graphtest"
	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/mapping"
)

const officeClientID = "55555555-5555-4555-8555-555555555555"

// office is a fake tenant for app-only mode: the real MSAL confidential
// client gets its tokens from entratest (client credentials grant, with a
// certificate or a secret), and graphtest accepts them by their roles and
// refuses them on /me.
type office struct {
	entra *entratest.Server
	graph *graphtest.Server
	cert  entratest.Certificate
	dir   string
	logs  *syncBuffer
	log   *slog.Logger
}

var allRoles = []string{auth.RolePresenceReadAll, auth.RoleUserReadBasicAll, auth.RoleGroupMemberReadAll, auth.RoleCalendarsReadBasic}

func newOffice(t *testing.T, roles ...string) *office {
	t.Helper()
	entra := entratest.New(t, entratest.Options{})
	cert := entratest.NewCertificate(t, "onair office", time.Now().Add(365*24*time.Hour))
	entra.RegisterApp(entratest.App{ClientID: officeClientID, Certificates: []*x509.Certificate{cert.Cert}, Secret: "s3cret value", Roles: roles})
	g := graphtest.NewServer(graphtest.Options{AppToken: entra.AppToken})
	t.Cleanup(g.Close)
	logs := &syncBuffer{}
	return &office{entra: entra, graph: g, cert: cert, dir: t.TempDir(), logs: logs,
		log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
}

// file writes a file into the test's directory and returns its path.
func (o *office) file(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(o.dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// config is an app-mode config; credential is the graph.auth lines of the
// credential, extra what follows graph.
func (o *office) config(t *testing.T, credential, graphExtra, extra string) *config.Config {
	t.Helper()
	text := fmt.Sprintf("version: 1\ngraph:\n  authority: %s/%s\n  base_url: %s\n  interval: 2s\n  auth:\n    mode: app\n    client_id: %s\n%s%s%s",
		o.entra.URL(), entratest.TenantID, o.graph.URL(), officeClientID, credential, graphExtra, extra)
	c, err := config.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("config:\n%s\n%v", text, err)
	}
	return c
}

func (o *office) certLines(t *testing.T) string {
	return "    certificate_file: " + o.file(t, "app.pem", o.cert.PEM) + "\n"
}

func (o *office) run(t *testing.T, cfg *config.Config, outs ...output.Output) (*Daemon, *notifier) {
	t.Helper()
	n := &notifier{c: make(chan *output.Snapshot, 16)}
	d, err := New(Options{Config: cfg, Logger: o.log, HTTPClient: o.entra.Client(), NoLights: true, NoControl: true,
		Version: "test", outputs: append([]output.Output{n}, outs...)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return d, n
}

// waitSnap is notifier.waitFor with a short failure message: a snapshot of
// 1,500 users does not belong in a test log.
func waitSnap(t *testing.T, n *notifier, limit time.Duration, what string, ok func(*output.Snapshot) bool) *output.Snapshot {
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
			if s == nil {
				t.Fatalf("no %s within %v; no snapshot", what, limit)
			}
			var b strings.Builder
			for i, u := range s.Users {
				if i == 3 {
					fmt.Fprintf(&b, " … %d users", len(s.Users))
					break
				}
				fmt.Fprintf(&b, " [%s %s/%s state %s err %q]", u.Key, u.Presence.Availability, u.Presence.Activity, u.State, u.Err)
			}
			t.Fatalf("no %s within %v; last snapshot: health %+v; users%s", what, limit, s.Health, b.String())
		}
	}
}

// pollAgain asks for a poll and waits until it has succeeded. A poll that
// changes nothing publishes no snapshot, so this watches the health's
// last success.
func pollAgain(t *testing.T, d *Daemon) {
	t.Helper()
	before := time.Now()
	d.PollNow()
	deadline := time.Now().Add(10 * time.Second)
	for !d.Snapshot().Health.LastSuccess.After(before) {
		if time.Now().After(deadline) {
			t.Fatal("the poll asked for did not succeed within 10s")
		}
		runtime.Gosched()
		time.Sleep(5 * time.Millisecond)
	}
}

func allHave(n int) func(*output.Snapshot) bool {
	return func(s *output.Snapshot) bool {
		if len(s.Users) != n {
			return false
		}
		for _, u := range s.Users {
			if u.Presence.Availability == "" {
				return false
			}
		}
		return true
	}
}

func TestOfficeAppOnlyWithCertificateAndSecret(t *testing.T) {
	for _, tc := range []struct {
		name string
		cred func(*office, *testing.T) string
		want string // in the account line
	}{
		{"certificate", (*office).certLines, "certificate "},
		{"secret", func(o *office, t *testing.T) string {
			return "    client_secret_file: " + o.file(t, "secret", []byte("s3cret value\n")) + "\n"
		}, "client secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newOffice(t, allRoles...)
			o.graph.AddUser(graphtest.ID(1), "adele@contoso.example", "Adele Vance")
			o.graph.AddUser(graphtest.ID(2), "lee@contoso.example", "Lee Gu")
			o.graph.AddUser(graphtest.ID(3), "nestor@contoso.example", "Nestor Wilke")
			o.graph.SetPresence(graphtest.ID(1), "Busy", "InAMeeting")
			o.graph.SetPresence(graphtest.ID(2), "Available", "Available")
			o.graph.SetPresence(graphtest.ID(3), "Away", "Away")
			o.graph.AddGroup(graphtest.ID(900), "Office Berlin", graphtest.ID(2), graphtest.ID(3))
			cfg := o.config(t, tc.cred(o, t), "  users: [adele@contoso.example]\n  groups: [Office Berlin]\n", "")
			d, n := o.run(t, cfg)
			s := waitSnap(t, n, 10*time.Second, "three users with presence", allHave(3))
			if s.Users[0].Key != "adele@contoso.example" || s.Users[1].Name != "Lee Gu" || s.Users[2].Name != "Nestor Wilke" {
				t.Errorf("users = %+v", s.Users)
			}
			if s.Users[0].Signal.Rule != "in-a-meeting" || s.Health.State != mapping.StateNormal {
				t.Errorf("adele = %+v, health %+v", s.Users[0].Signal, s.Health)
			}
			st := d.Status(t.Context())
			if !strings.Contains(st.Account, "app "+officeClientID) || !strings.Contains(st.Account, tc.want) || strings.Contains(st.Account, "s3cret") {
				t.Errorf("account = %q", st.Account)
			}
			for _, ep := range []string{graphtest.EndpointMe, graphtest.EndpointMeSchedule} {
				if k := o.graph.Requests(ep); k != 0 {
					t.Errorf("%s requests = %d, want 0 in app-only mode", ep, k)
				}
			}
			// The first poll and the first group read may race for the
			// first token; after that MSAL serves it from its cache.
			tokens := o.entra.Counts().ClientCredentials
			pollAgain(t, d)
			if c := o.entra.Counts(); tokens > 2 || c.ClientCredentials != tokens {
				t.Errorf("token requests = %d, then %d after another poll; want at most 2, then no more (MSAL caches the app token)", tokens, c.ClientCredentials)
			}
		})
	}
}

func TestOfficeCredentialProblemsAreNamedStates(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		setup                   func(*office, *testing.T) string
		roles                   []string
		state                   string
		errWant, remedyWant     string
		remedyWantAlso, errAlso string
	}{
		{
			name: "wrong certificate",
			setup: func(o *office, t *testing.T) string {
				other := entratest.NewCertificate(t, "not uploaded", time.Now().Add(time.Hour*24*90))
				return "    certificate_file: " + o.file(t, "other.pem", other.PEM) + "\n"
			},
			roles: allRoles, state: "login-required",
			errWant: "invalid client credential", remedyWant: "upload the certificate from", remedyWantAlso: "Certificates & secrets",
		},
		{
			name: "expired certificate",
			setup: func(o *office, t *testing.T) string {
				old := entratest.NewCertificate(t, "expired", time.Now().Add(-time.Minute))
				return "    certificate_file: " + o.file(t, "old.pem", old.PEM) + "\n"
			},
			roles: allRoles, state: "login-required",
			errWant: "expired on", remedyWant: "create a new certificate", remedyWantAlso: "certificate_file",
		},
		{
			name: "missing permission", setup: (*office).certLines,
			roles: []string{auth.RoleUserReadBasicAll}, state: "error",
			errWant: "Presence.Read.All (Application) not granted", remedyWant: "Grant admin consent", remedyWantAlso: officeClientID,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newOffice(t, tc.roles...)
			o.graph.AddUser(graphtest.ID(1), "adele@contoso.example", "Adele Vance")
			cfg := o.config(t, tc.setup(o, t), "  users: [adele@contoso.example]\n", "")
			d, n := o.run(t, cfg)
			waitSnap(t, n, 10*time.Second, "a failed poll", func(s *output.Snapshot) bool { return s.Health.Err != "" })
			st := d.Status(t.Context())
			if st.Health.State != tc.state || !strings.Contains(st.Health.Error, tc.errWant) ||
				!strings.Contains(st.Health.Remedy, tc.remedyWant) || !strings.Contains(st.Health.Remedy, tc.remedyWantAlso) {
				t.Errorf("health = %+v\nwant state %s, error …%s…, remedy …%s…", st.Health, tc.state, tc.errWant, tc.remedyWant)
			}
			if k := o.graph.Requests(graphtest.EndpointBatch); k != 0 {
				t.Errorf("%d presence requests with a refused credential, want 0", k)
			}
		})
	}
}

func TestOfficeCertificateExpiringSoonIsWarned(t *testing.T) {
	o := newOffice(t, allRoles...)
	o.cert = entratest.NewCertificate(t, "soon", time.Now().Add(10*24*time.Hour))
	o.entra.RegisterApp(entratest.App{ClientID: officeClientID, Certificates: []*x509.Certificate{o.cert.Cert}, Roles: allRoles})
	o.graph.AddUser(graphtest.ID(1), "adele@contoso.example", "Adele Vance")
	o.graph.SetPresence(graphtest.ID(1), "Available", "Available")
	addr := startMochi(t)
	obs := observe(t, addr)
	d, n := o.run(t, o.config(t, o.certLines(t), "  users: [adele@contoso.example]\n", "mqtt:\n  broker: tcp://"+addr+"\n  node_id: lobby\n"))
	obs.wait(t, "onair/lobby/health", func(v string) bool { return strings.Contains(v, `"state":"ok"`) && strings.Contains(v, "expires on") })
	s := waitSnap(t, n, 10*time.Second, "the expiry notice", func(s *output.Snapshot) bool { return s.Health.Remedy != "" && allHave(1)(s) })
	if s.Health.State != mapping.StateNormal || !strings.Contains(s.Health.Remedy, "expires on") {
		t.Errorf("health = %+v", s.Health)
	}
	if st := d.Status(t.Context()); !strings.Contains(st.Health.Remedy, "expires on") {
		t.Errorf("status remedy = %q", st.Health.Remedy)
	}
	if !strings.Contains(o.logs.String(), "certificate expires soon") {
		t.Error("no log line for the expiring certificate")
	}
}

func TestOfficeGroupOf1500PolledIn3Requests(t *testing.T) {
	o := newOffice(t, allRoles...)
	var ids []string
	for i := 1; i <= 1500; i++ {
		o.graph.AddUser(graphtest.ID(i), fmt.Sprintf("u%04d@contoso.example", i), fmt.Sprintf("User %04d", i))
		o.graph.SetPresence(graphtest.ID(i), "Available", "Available")
		ids = append(ids, graphtest.ID(i))
	}
	o.graph.AddGroup(graphtest.ID(100000), "Everyone", ids...)
	cfg := o.config(t, o.certLines(t), "  groups: [Everyone]\n", "")
	cfg.Graph.Interval = "1m" // no timed poll between the two counted here
	d, n := o.run(t, cfg)
	waitSnap(t, n, 20*time.Second, "1,500 users with presence", allHave(1500))
	if k := o.graph.Requests(graphtest.EndpointGroupMembers); k != 2 {
		t.Errorf("member pages = %d, want 2 (999 a page)", k)
	}
	if k := o.graph.Requests(graphtest.EndpointUser); k != 0 {
		t.Errorf("user lookups = %d, want 0: members come with their object IDs", k)
	}
	// One more poll: exactly ⌈1500/650⌉ = 3 batch requests, with the
	// request planned for the last one (nobody joined or left).
	plan := func() *userPlan {
		d.office.mu.Lock()
		defer d.office.mu.Unlock()
		return d.office.plan
	}
	before := plan()
	o.graph.ResetRequests()
	pollAgain(t, d)
	if k := o.graph.Requests(graphtest.EndpointBatch); k != 3 {
		t.Errorf("getPresencesByUserId requests in one poll of 1,500 = %d, want 3", k)
	}
	if before == nil || plan() != before {
		t.Errorf("an unchanged group was planned again (plan %p, then %p)", before, plan())
	}
	if k := o.graph.Requests(graphtest.EndpointMe); k != 0 {
		t.Errorf("/me requests = %d", k)
	}
}

func TestOfficeGroupLeaverLeavesHomeAssistant(t *testing.T) {
	addr := startMochi(t)
	obs := observe(t, addr)
	o := newOffice(t, allRoles...)
	for i := 1; i <= 3; i++ {
		o.graph.AddUser(graphtest.ID(i), fmt.Sprintf("u%d@contoso.example", i), fmt.Sprintf("User %d", i))
		o.graph.SetPresence(graphtest.ID(i), "Available", "Available")
	}
	o.graph.AddGroup(graphtest.ID(900), "Team", graphtest.ID(1), graphtest.ID(2), graphtest.ID(3))
	d, n := o.run(t, o.config(t, o.certLines(t), "  groups: [Team]\n", "mqtt:\n  broker: tcp://"+addr+"\n  node_id: lobby\n"))
	waitSnap(t, n, 10*time.Second, "three users", allHave(3))
	leaver := "homeassistant/device/onair_lobby_u3_contoso_example/config"
	obs.wait(t, leaver, func(v string) bool { return strings.Contains(v, "User 3") })
	obs.wait(t, "onair/lobby/u3_contoso_example/state", func(v string) bool { return strings.Contains(v, "available") })

	// User 3 leaves the group; a user 4 joins.
	o.graph.AddUser(graphtest.ID(4), "u4@contoso.example", "User 4")
	o.graph.SetPresence(graphtest.ID(4), "Busy", "Busy")
	o.graph.AddGroup(graphtest.ID(900), "Team", graphtest.ID(1), graphtest.ID(2), graphtest.ID(4))
	if err := d.refreshGroups(t.Context()); err != nil {
		t.Fatal(err)
	}
	obs.wait(t, leaver, func(v string) bool { return v == "" })
	obs.wait(t, "onair/lobby/u3_contoso_example/state", func(v string) bool { return v == "" })
	obs.wait(t, "homeassistant/device/onair_lobby_u4_contoso_example/config", func(v string) bool { return strings.Contains(v, "User 4") })
	s := waitSnap(t, n, 10*time.Second, "user 4's presence", func(s *output.Snapshot) bool {
		u, ok := s.User("u4@contoso.example")
		return ok && u.Presence.Availability == mapping.AvailabilityBusy
	})
	if _, ok := s.User("u3@contoso.example"); ok || len(s.Users) != 3 {
		t.Errorf("users after the change = %+v", s.Users)
	}

	// A reload that drops the group and names user 3: the group's
	// members go, user 3 comes back.
	set, err := o.config(t, o.certLines(t), "  users: [u3@contoso.example]\n", "mqtt:\n  broker: tcp://"+addr+"\n  node_id: lobby\n").Compile()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.reloadOffice(t.Context(), set); err != nil {
		t.Fatal(err)
	}
	waitSnap(t, n, 10*time.Second, "user 3 alone", func(s *output.Snapshot) bool { return allHave(1)(s) && s.Users[0].Key == "u3@contoso.example" })
	obs.wait(t, "homeassistant/device/onair_lobby_u4_contoso_example/config", func(v string) bool { return v == "" })
}

func TestOfficeUntilEndToEnd(t *testing.T) {
	addr := startMochi(t)
	obs := observe(t, addr)
	o := newOffice(t, allRoles...)
	o.graph.AddUser(graphtest.ID(1), "adele@contoso.example", "Adele Vance")
	o.graph.SetPresence(graphtest.ID(1), "Busy", "InAMeeting")
	now := time.Now()
	end := now.Add(45 * time.Minute).Truncate(time.Minute)
	next := now.Add(3 * time.Hour).Truncate(time.Minute)
	o.graph.SetCalendar(graphtest.ID(1),
		graphtest.CalendarItem{Status: "busy", Start: now.Add(-30 * time.Minute), End: end, Subject: "Planning"},
		graphtest.CalendarItem{Status: "busy", Start: next, End: next.Add(time.Hour), Subject: "Review"})
	cfg := o.config(t, o.certLines(t), "  users: [adele@contoso.example]\n",
		"calendar:\n  enabled: true\nmqtt:\n  broker: tcp://"+addr+"\n  node_id: lobby\n  plain_topics: true\nsigns:\n  - user: adele@contoso.example\n    topic: door/adele\n")
	d, n := o.run(t, cfg)
	s := waitSnap(t, n, 10*time.Second, "busy until", func(s *output.Snapshot) bool { return !s.Users[0].BusyUntil.IsZero() && allHave(1)(s) })
	wantLabel := "In a meeting · until " + mapping.FormatUntil(s.Time, end.In(s.Time.Location()))
	if u := s.Users[0]; !u.BusyUntil.Equal(end) || !u.NextBusy.Equal(next) || u.Signal.Label != "In a meeting" {
		t.Errorf("view = until %v next %v label %q; want %v, %v, \"In a meeting\" (outputs add the time their own way)", u.BusyUntil, u.NextBusy, u.Signal.Label, end, next)
	}
	if k := o.graph.Requests(graphtest.EndpointSchedule); k != 1 {
		t.Errorf("getSchedule requests = %d, want 1", k)
	}

	st := d.Status(t.Context())
	js, _ := json.Marshal(st)
	if !st.Users[0].BusyUntil.Equal(end) || !strings.Contains(string(js), `"busy_until":"`+end.Format(time.RFC3339)) || !strings.Contains(string(js), `"next_busy"`) {
		t.Errorf("status --json = %s", js)
	}
	rfc := end.UTC().Format(time.RFC3339)
	sign := obs.wait(t, "door/adele", func(v string) bool { return strings.Contains(v, wantLabel) })
	var sp map[string]any
	if err := json.Unmarshal([]byte(sign), &sp); err != nil || sp["until"] != rfc || sp["label"] != wantLabel || sp["next_busy"] != next.UTC().Format(time.RFC3339) {
		t.Errorf("door sign = %s (%v); want until %s, label %q", sign, err, rfc, wantLabel)
	}
	state := obs.wait(t, "onair/lobby/adele_contoso_example/state", func(v string) bool { return strings.Contains(v, wantLabel) })
	if !strings.Contains(state, `"until":"`+rfc+`"`) {
		t.Errorf("state = %s", state)
	}
	obs.wait(t, "onair/lobby/adele_contoso_example/label", func(v string) bool { return v == wantLabel })
	disc := obs.wait(t, "homeassistant/device/onair_lobby_adele_contoso_example/config", func(v string) bool { return v != "" })
	var dp struct {
		Cmps map[string]map[string]any `json:"cmps"`
	}
	json.Unmarshal([]byte(disc), &dp)
	if u := dp.Cmps["until"]; u["device_class"] != "timestamp" || u["p"] != "sensor" || !strings.Contains(fmt.Sprint(u["value_template"]), "value_json.until") {
		t.Errorf("HA until sensor = %v", u)
	}
}

func TestOfficeCalendarWithoutPermissionSaysSoOnce(t *testing.T) {
	o := newOffice(t, auth.RolePresenceReadAll, auth.RoleUserReadBasicAll)
	o.graph.AddUser(graphtest.ID(1), "adele@contoso.example", "Adele Vance")
	o.graph.SetPresence(graphtest.ID(1), "Busy", "InAMeeting")
	d, n := o.run(t, o.config(t, o.certLines(t), "  users: [adele@contoso.example]\n", "calendar:\n  enabled: true\n  interval: 1m\n"))
	s := waitSnap(t, n, 10*time.Second, "presence", allHave(1))
	if s.Users[0].Signal.Label != "In a meeting" || s.Health.State != mapping.StateNormal {
		t.Errorf("without the calendar: %+v, health %+v", s.Users[0].Signal, s.Health)
	}
	d.refreshCalendar(t.Context(), time.Now()) // a second round: no second warning
	if k := strings.Count(o.logs.String(), "calendar unavailable"); k != 1 || !strings.Contains(o.logs.String(), "Calendars.ReadBasic") {
		t.Errorf("calendar warnings = %d, want 1 naming Calendars.ReadBasic:\n%s", k, o.logs)
	}
}

// fixedSource is one user's presence, every poll.
type fixedSource struct{ p mapping.Presence }

func (s fixedSource) Poll(context.Context) ([]mapping.Presence, error) {
	return []mapping.Presence{s.p}, nil
}

// fakeCalendar answers getSchedule from a table and counts the calls.
type fakeCalendar struct {
	mu    sync.Mutex
	next  map[string]time.Time
	calls int
}

func (f *fakeCalendar) GetSchedule(_ context.Context, users []string, start, _ time.Time) (map[string]graph.Schedule, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	out := map[string]graph.Schedule{}
	for _, u := range users {
		s := graph.Schedule{User: u}
		if t := f.next[u]; t.After(start) {
			s.NextBusy = t
		}
		out[u] = s
	}
	return out, nil
}

func TestPreWarningTwoMinutesBeforeAMeeting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		meeting := t0.Add(10 * time.Minute)
		cal := &fakeCalendar{next: map[string]time.Time{"adele@contoso.example": meeting}}
		c, err := config.Parse([]byte(`version: 1
graph:
  tenant: contoso.example
  auth: {mode: app, client_id: x, client_secret_env: PATH}
  users: [adele@contoso.example]
calendar: {enabled: true, interval: 5m}
mapping:
  rules:
    - name: meeting-soon
      next_meeting_within: 2m
      availability: Available
      color: orange
      label: Meeting soon
`))
		if err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		d, err := New(Options{Config: c, NoControl: true, NoLights: true, outputs: []output.Output{rec}, calendar: cal,
			source: fixedSource{mapping.Presence{User: "adele@contoso.example", Availability: mapping.AvailabilityAvailable, Activity: mapping.ActivityAvailable}}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { d.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()

		time.Sleep(8*time.Minute - time.Second)
		synctest.Wait()
		if got := rec.signal(); got.Rule != "available" {
			t.Fatalf("at 7:59 before the meeting the signal is %+v, want the available rule", got)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if got := rec.signal(); got.Rule != "meeting-soon" || got.Label != "Meeting soon" || got.Color != mapping.Orange {
			t.Fatalf("2 minutes before the meeting the signal is %+v, want meeting-soon", got)
		}
		if s := rec.last(); !s.Time.Equal(meeting.Add(-2 * time.Minute)) {
			t.Errorf("pre-warning published at %v, want exactly 2m before %v", s.Time, meeting)
		}
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		if got := rec.signal(); got.Rule != "available" {
			t.Errorf("when the meeting starts the pre-warning should end; signal %+v", got)
		}
		cal.mu.Lock()
		calls := cal.calls
		cal.mu.Unlock()
		if calls != 3 { // at 0, 5m and 10m: every calendar.interval, not every 10 s poll
			t.Errorf("getSchedule calls in 10 minutes = %d, want 3", calls)
		}
	})
}

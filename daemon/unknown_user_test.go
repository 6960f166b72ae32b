package daemon

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/onair-dev/onair/daemon/config"
	"github.com/onair-dev/onair/daemon/graph"
	"github.com/onair-dev/onair/daemon/graph/graphtest"
	"github.com/onair-dev/onair/daemon/output"
)

// handlerTransport serves requests with a handler in memory, so that a
// Graph client works inside a synctest bubble (no sockets).
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// An unknown user in graph.users costs one lookup per hour, not one per
// poll, and one warning per change, not one per poll; a reload asks again.
func TestUnknownUserLookedUpOncePerHour(t *testing.T) {
	g := graphtest.NewServer(graphtest.Options{})
	t.Cleanup(g.Close)
	g.AddUser(graphtest.ID(1), "me@contoso.com", "Me")
	g.SetPresence(graphtest.ID(1), "Available", "Available")
	synctest.Test(t, func(t *testing.T) {
		gc, err := graph.New(graph.Options{BaseURL: g.URL(), Tokens: staticToken("token"), HTTPClient: &http.Client{Transport: handlerTransport{g.Handler()}}})
		if err != nil {
			t.Fatal(err)
		}
		logs := &syncBuffer{}
		log := slog.New(slog.NewTextHandler(logs, nil))
		src := &graphSource{g: gc, ids: map[string]string{}, log: log, others: []string{"ghost@contoso.com"}}
		path := filepath.Join(t.TempDir(), "config.yaml")
		body := "version: 1\ngraph:\n  interval: 10s\n  users: [ghost@contoso.com]\n"
		os.WriteFile(path, []byte(body), 0o600)
		cfg, err := config.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		d, err := New(Options{Config: cfg, Paths: config.Paths{Config: path}, NoControl: true, NoLights: true, Logger: log, source: src, outputs: []output.Output{rec}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		defer func() { cancel(); <-done }()

		lookup := "/users/ghost@contoso.com"
		time.Sleep(30 * time.Minute) // about 180 polls
		synctest.Wait()
		if n := g.Requests(lookup); n != 1 {
			t.Errorf("lookups of the unknown user in 30 min = %d, want 1", n)
		}
		if n := g.Requests(graphtest.EndpointMe); n < 100 {
			t.Errorf("only %d polls of /me in 30 min; the test needs many", n)
		}
		warns := strings.Count(logs.String(), "watched user could not be polled")
		if warns != 1 {
			t.Errorf("warned %d times in 30 min, want once:\n%s", warns, logs)
		}
		st := d.Status(t.Context())
		if len(st.Users) != 2 || !strings.Contains(st.Users[1].Error, "not found") {
			t.Errorf("status of the unknown user = %+v, want its error", st.Users)
		}

		time.Sleep(time.Hour)
		synctest.Wait()
		if n := g.Requests(lookup); n != 2 {
			t.Errorf("lookups after 1.5 h = %d, want 2 (one per hour)", n)
		}
		if w := strings.Count(logs.String(), "watched user could not be polled"); w != warns {
			t.Errorf("the same unknown user warned again after an hour (%d warnings)", w)
		}

		// A reload forgets the answer: the user may exist now.
		g.AddUser(graphtest.ID(2), "ghost@contoso.com", "Ghost")
		g.SetPresence(graphtest.ID(2), "Busy", "InACall")
		if res := d.Reload(t.Context()); !res.OK {
			t.Fatalf("reload: %+v", res)
		}
		time.Sleep(20 * time.Second)
		synctest.Wait()
		if n := g.Requests(lookup); n != 3 {
			t.Errorf("lookups after the reload = %d, want 3", n)
		}
		if s := rec.last(); s.Users[1].Presence.Availability != "Busy" || s.Users[1].Err != "" {
			t.Errorf("after the reload the user is %+v, want Busy with no error", s.Users[1])
		}
	})
}

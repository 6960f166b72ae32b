package daemon

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/onair-dev/onair/daemon/graph"
	"github.com/onair-dev/onair/mapping"
)

// Retry-After: 86400 (capped at an hour by the graph package) shows when
// polling resumes and what Graph asked for; the condition goes with the
// next good poll.
func TestThrottlingShowsWhenPollingResumes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		throttled := &graph.ThrottledError{RetryAfter: time.Hour, Requested: 24 * time.Hour, Status: 429, Err: &graph.APIError{Op: "get presence of me", Status: 429, Code: "TooManyRequests"}}
		src := &scriptSource{errs: []error{throttled}}
		src.set(mapping.AvailabilityAvailable, mapping.ActivityAvailable)
		t0 := time.Now()
		d, _, stop := start(t, "version: 1\ngraph:\n  interval: 2s\n", src)
		defer stop()
		synctest.Wait()
		st := d.Status(t.Context())
		want := "graph: Graph is throttling onair; polling resumes at " + t0.Add(time.Hour).Format(time.DateTime) + " (Graph asked for 24h0m0s; onair waits at most 1h0m0s)"
		if len(st.Health.Conditions) != 1 || st.Health.Conditions[0] != want {
			t.Fatalf("conditions = %q, want %q", st.Health.Conditions, want)
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		if n := len(src.pollTimes()); n != 2 {
			t.Fatalf("%d polls after the hour, want 2", n)
		}
		if st := d.Status(t.Context()); len(st.Health.Conditions) != 0 || st.Health.State != "ok" {
			t.Errorf("after polling resumed: %+v", st.Health)
		}
	})
}

func TestFailureKeyIgnoresTheRememberedUntil(t *testing.T) {
	a := &graph.NotFoundError{User: "x@y", Err: &graph.APIError{Status: 404}, Until: time.Unix(0, 0)}
	b := &graph.NotFoundError{User: "x@y", Err: &graph.APIError{Status: 404}, Until: time.Unix(3600, 0)}
	if a.Error() == b.Error() || failureKey(a) != failureKey(b) || !strings.Contains(failureKey(a), "x@y") {
		t.Errorf("failureKey(%v) = %q, failureKey(%v) = %q; want equal", a, failureKey(a), b, failureKey(b))
	}
}

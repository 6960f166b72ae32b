package daemon

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/onair-dev/onair/daemon/config"
	"github.com/onair-dev/onair/daemon/graph"
	"github.com/onair-dev/onair/daemon/output"
)

// cannedGraph answers every request in-process with a presence body whose
// activity alternates, so that each poll is a change.
type cannedGraph struct{ n int }

func (c *cannedGraph) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n++
	avail, act := "Available", "Available"
	if c.n%2 == 0 {
		avail, act = "Busy", "InAMeeting"
	}
	body := fmt.Sprintf(`{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users('x')/presence/$entity","id":"x","availability":%q,"activity":%q,"sequenceNumber":"%020d"}`, avail, act, c.n)
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

type staticToken string

func (s staticToken) Token(context.Context) (string, error) { return string(s), nil }

// BenchmarkGraphResponseToOutput measures the daemon's overhead from a Graph
// response arriving to the output holding the new signal: decode, apply,
// rules, snapshot and mailbox hand-off. Budget: 1 ms p99.
func BenchmarkGraphResponseToOutput(b *testing.B) {
	g, err := graph.New(graph.Options{BaseURL: "https://graph.test/v1.0", Tokens: staticToken("t"), HTTPClient: &http.Client{Transport: &cannedGraph{}}})
	if err != nil {
		b.Fatal(err)
	}
	c, _ := config.Parse([]byte("version: 1\n"))
	rec := &recorder{}
	d, err := New(Options{Config: c, NoControl: true, NoLights: true, source: &graphSource{g: g, ids: map[string]string{}}, outputs: []output.Output{rec}})
	if err != nil {
		b.Fatal(err)
	}
	mb := d.outs[0].mb
	ctx := context.Background()
	failures := 0
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		d.pollOnce(ctx, &failures)
		d.publish(time.Now())
		<-mb.C()
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	}
}

// BenchmarkDecide1000Users measures a poll cycle's work for 1,000 watched
// users once the responses are in: apply, rules and snapshot for every user.
func BenchmarkDecide1000Users(b *testing.B) {
	src := &scriptSource{}
	d := usersDaemon(b, 1000, src)
	keys := d.userKeys()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		src.ps = src.ps[:0]
		for j, k := range keys {
			act := "Available"
			if (i+j)%3 == 0 {
				act = "InAMeeting"
			}
			src.ps = append(src.ps, presenceOf(k, act))
		}
		failures := 0
		d.pollOnce(context.Background(), &failures)
		d.publish(time.Now())
		<-d.outs[0].mb.C()
	}
}

// BenchmarkIdleWake1000Users is the cost of a wake-up of an idle daemon
// watching 1,000 users between polls (a command that changes nothing):
// deciding that nothing changed, without building a snapshot.
func BenchmarkIdleWake1000Users(b *testing.B) {
	src := &scriptSource{}
	d := usersDaemon(b, 1000, src)
	for _, k := range d.userKeys() {
		src.ps = append(src.ps, presenceOf(k, "Available"))
	}
	failures := 0
	d.pollOnce(context.Background(), &failures)
	d.publish(time.Now())
	<-d.outs[0].mb.C()
	now := time.Now().Add(time.Second)
	b.ReportAllocs()
	for b.Loop() {
		d.publish(now)
	}
	select {
	case <-d.outs[0].mb.C():
		b.Fatal("an idle daemon published a snapshot")
	default:
	}
}

package daemon

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/onair-dev/onair/daemon/config"
	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/mapping"
)

// scaleSizes are the watched-user counts the scale benchmarks run at: one
// person, an office, a large tenant.
var scaleSizes = []int{1, 1000, 10000}

// answerSource answers every poll with ps as it is: the benchmark measures
// the daemon, not a copy of the answers.
type answerSource struct{ ps []mapping.Presence }

func (a *answerSource) Poll(context.Context) ([]mapping.Presence, error) { return a.ps, nil }

// usersConfig returns a config watching "me" and n-1 colleagues,
// user0@contoso.example on.
func usersConfig(tb testing.TB, n int) *config.Config {
	tb.Helper()
	var cfg strings.Builder
	cfg.WriteString("version: 1\n")
	if n > 1 {
		cfg.WriteString("graph:\n  users:\n")
		for i := range n - 1 {
			fmt.Fprintf(&cfg, "    - user%d@contoso.example\n", i)
		}
	}
	c, err := config.Parse([]byte(cfg.String()))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// usersDaemon returns a daemon watching "me" and n-1 colleagues, fed by
// src, with one recording output whose mailbox the benchmark drains itself.
func usersDaemon(tb testing.TB, n int, src presenceSource) *Daemon {
	c := usersConfig(tb, n)
	d, err := New(Options{Config: c, NoControl: true, NoLights: true, source: src, outputs: []output.Output{&recorder{}}})
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// presences returns one poll's answer for every watched user: all
// available, or (busy) all in a meeting. Each poll carries a new sequence
// number, as Graph's answers do.
func presences(keys []string, busy bool, seq int) []mapping.Presence {
	ps := make([]mapping.Presence, len(keys))
	act := "Available"
	if busy {
		act = "InAMeeting"
	}
	s := fmt.Sprintf("%020d", seq)
	for i, k := range keys {
		ps[i] = presenceOf(k, act)
		// Fresh strings, as the Graph client's decoder returns them.
		ps[i].User = strings.Clone(k)
		ps[i].Availability = mapping.Availability(strings.Clone(string(ps[i].Availability)))
		ps[i].Activity = mapping.Activity(strings.Clone(string(ps[i].Activity)))
		ps[i].Sequence = strings.Clone(s)
	}
	return ps
}

// BenchmarkPoll measures the daemon's CPU per poll once Graph's answers are
// decoded (apply, rules, snapshot, hand-off to the outputs' mailboxes), for
// 1, 1,000 and 10,000 watched users: "unchanged" is a poll in which nobody's
// presence changed (the common case), "allchange" one in which everybody's
// did.
func BenchmarkPoll(b *testing.B) {
	for _, n := range scaleSizes {
		for _, mode := range []string{"unchanged", "allchange"} {
			b.Run(fmt.Sprintf("users=%d/%s", n, mode), func(b *testing.B) {
				src := &answerSource{}
				d := usersDaemon(b, n, src)
				keys := d.userKeys()
				ctx := context.Background()
				failures := 0
				src.ps = presences(keys, false, 0)
				d.pollOnce(ctx, &failures)
				d.publish(time.Now())
				mb := d.outs[0].mb
				<-mb.C()
				// The answers are built before the clock starts: decoding
				// is the Graph client's cost, measured on its own.
				answers := [2][]mapping.Presence{presences(keys, true, 1), presences(keys, false, 2)}
				published := 0
				b.ReportAllocs()
				b.ResetTimer()
				cpu0 := cpuTime()
				for i := 0; b.Loop(); i++ {
					if mode == "unchanged" {
						src.ps = answers[1]
					} else {
						src.ps = answers[i%2]
					}
					d.pollOnce(ctx, &failures)
					d.publish(time.Now())
					select {
					case <-mb.C():
						published++
					default:
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(cpuTime()-cpu0)/1e6/float64(b.N), "cpu-ms/op")
				if mode == "allchange" && published == 0 {
					b.Fatal("no snapshot published for all-change polls")
				}
			})
		}
	}
}

// BenchmarkUserMemory reports the daemon's heap per watched user, once every
// user has presence and a snapshot was published (the state, the last
// snapshot and the one in the output's mailbox).
func BenchmarkUserMemory(b *testing.B) {
	for _, n := range scaleSizes {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			var per float64
			// The timer runs throughout: with it stopped, b.Loop never sees
			// its second of work pass and loops on for minutes.
			for b.Loop() {
				before := heapInUse()
				src := &answerSource{}
				d := usersDaemon(b, n, src)
				failures := 0
				src.ps = presences(d.userKeys(), true, 1)
				d.pollOnce(context.Background(), &failures)
				d.publish(time.Now())
				src.ps = nil
				after := heapInUse()
				per = float64(after-before) / float64(n)
				runtime.KeepAlive(d)
			}
			b.ReportMetric(per, "B/user")
		})
	}
}

// heapInUse returns the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

package mqtt

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/mapping"
)

// scaleSnapshots returns two snapshots of n watched users: everybody in a
// meeting, and everybody available, as the daemon publishes them.
func scaleSnapshots(n int) (keys []string, busy, free *output.Snapshot) {
	keys = make([]string, n)
	busy = &output.Snapshot{Seq: 1, Time: time.Now(), Health: output.Health{State: mapping.StateNormal}}
	free = &output.Snapshot{Seq: 2, Time: time.Now(), Health: output.Health{State: mapping.StateNormal}}
	since := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := range keys {
		keys[i] = fmt.Sprintf("user%05d@contoso.com", i)
		name := fmt.Sprintf("User %d", i)
		busy.Users = append(busy.Users, output.UserView{
			Key: keys[i], Name: name, Since: since,
			Presence: mapping.Presence{User: keys[i], Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityInAMeeting},
			Signal:   mapping.Signal{Color: mapping.MustColor("red"), Brightness: 100, Effect: mapping.Solid, Label: "In a meeting", Rule: "meeting"},
		})
		free.Users = append(free.Users, output.UserView{
			Key: keys[i], Name: name, Since: since.Add(time.Minute),
			Presence: mapping.Presence{User: keys[i], Availability: mapping.AvailabilityAvailable, Activity: mapping.ActivityAvailable},
			Signal:   mapping.Signal{Color: mapping.MustColor("green"), Brightness: 100, Effect: mapping.Solid, Label: "Available", Rule: "available"},
		})
	}
	return keys, busy, free
}

// drain takes and renders every dirty message, as the sender does before
// handing them to paho, and returns how many there were.
func drain(p *Publisher) int {
	n := 0
	for batch := p.takeDirty(); len(batch) > 0; batch = p.takeDirty() {
		render(batch)
		n += len(batch)
	}
	return n
}

// BenchmarkShow measures the MQTT output's CPU per published snapshot for 1,
// 1,000 and 10,000 watched users, up to the messages being ready for paho:
// "unchanged" is a snapshot in which nobody changed (a resend of the same
// picture, which the daemon skips, but an output must not pay for either),
// "allchange" one in which everybody did. msgs/op is the MQTT messages per
// snapshot.
func BenchmarkShow(b *testing.B) {
	for _, n := range []int{1, 1000, 10000} {
		for _, mode := range []string{"unchanged", "allchange"} {
			b.Run(fmt.Sprintf("users=%d/%s", n, mode), func(b *testing.B) {
				keys, busy, free := scaleSnapshots(n)
				o, err := NewOutput(Options{Broker: "tcp://broker", NodeID: "bench"}, keys)
				if err != nil {
					b.Fatal(err)
				}
				o.p.SetUsers(keys)
				o.show(busy)
				drain(o.p)
				snaps := [2]*output.Snapshot{free, busy}
				msgs := 0
				b.ReportAllocs()
				b.ResetTimer()
				cpu0 := cpuTime()
				for i := 0; b.Loop(); i++ {
					s := busy
					if mode == "allchange" {
						s = snaps[i%2]
					}
					o.show(s)
					msgs += drain(o.p)
				}
				b.ReportMetric(float64(cpuTime()-cpu0)/1e6/float64(b.N), "cpu-ms/op")
				b.ReportMetric(float64(msgs)/float64(b.N), "msgs/op")
			})
		}
	}
}

// BenchmarkUserMemory reports the MQTT output's heap per watched user once
// every user's discovery and state are retained (what is re-sent on a
// reconnect) and were handed to the sender.
func BenchmarkUserMemory(b *testing.B) {
	for _, n := range []int{1, 1000, 10000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			keys, busy, _ := scaleSnapshots(n)
			var per float64
			// The timer runs throughout: with it stopped, b.Loop never sees
			// its second of work pass and loops on for minutes.
			for b.Loop() {
				before := heapInUse()
				o, err := NewOutput(Options{Broker: "tcp://broker", NodeID: "bench"}, keys)
				if err != nil {
					b.Fatal(err)
				}
				o.p.SetUsers(keys)
				o.show(busy)
				drain(o.p)
				after := heapInUse()
				per = float64(after-before) / float64(n)
				runtime.KeepAlive(o)
			}
			b.ReportMetric(per, "B/user")
		})
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

package mqtt

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/onair-dev/onair/mapping"
)

func benchUsers(n int) []UserState {
	users := make([]UserState, n)
	for i := range users {
		key := fmt.Sprintf("user%04d@contoso.com", i)
		users[i] = UserState{
			User: key, Name: fmt.Sprintf("User %d", i),
			Presence: mapping.Presence{User: key, Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityInAMeeting, StatusMessage: "Heads down"},
			Signal:   mapping.Signal{Color: mapping.MustColor("red"), Brightness: 100, Effect: mapping.Solid, Label: "In a meeting", Rule: "meeting"},
			Since:    time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC),
		}
	}
	return users
}

// BenchmarkPublish1000Users measures one poll cycle in which all 1,000
// watched users changed: encoding their state topics into the coalescing map
// (Update) and taking them out in send order (what the sender does before
// handing them to paho). The budget for the whole cycle, Graph decode and
// mapping included, is 50 ms.
func BenchmarkPublish1000Users(b *testing.B) {
	p, err := New(Options{Broker: "tcp://broker", NodeID: "bench", Signs: []Sign{{Name: "door", User: "user0001@contoso.com", Topic: "door/1"}}})
	if err != nil {
		b.Fatal(err)
	}
	users := benchUsers(1000)
	keys := make([]string, len(users))
	for i, u := range users {
		keys[i] = u.User
	}
	p.SetUsers(keys)
	for batch := p.takeDirty(); len(batch) > 0; batch = p.takeDirty() {
		render(batch)
	}
	labels := [2]string{"In a meeting", "Presenting"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		for j := range users {
			users[j].Signal.Label = labels[i%2]
			p.Update(users[j])
		}
		n := 0
		for batch := p.takeDirty(); len(batch) > 0; batch = p.takeDirty() {
			render(batch)
			n += len(batch)
		}
		if n < len(users) { // one state message per changed user, and the sign's
			b.Fatalf("only %d messages for %d changed users", n, len(users))
		}
	}
}

// BenchmarkPublish1000UsersToBroker measures the same cycle end to end: from
// Update to the broker having routed the last user's state, through paho and
// the embedded broker on loopback.
func BenchmarkPublish1000UsersToBroker(b *testing.B) {
	br := startBroker(b, brokerOpts{})
	p := startPublisher(b, Options{Broker: br.addr, NodeID: "bench"})
	users := benchUsers(1000)
	keys := make([]string, len(users))
	for i, u := range users {
		keys[i] = u.User
	}
	p.SetUsers(keys)
	last := p.UserTopic(users[len(users)-1].User, "state")
	br.wait(b, 0, "onair/bench/status", is("online"))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		label := fmt.Sprintf("label %d", i)
		from := br.msgs.len()
		for j := range users {
			users[j].Signal.Label = label
			p.Update(users[j])
		}
		br.wait(b, from, last, func(s string) bool { return strings.Contains(s, `"label":"`+label+`"`) })
	}
}

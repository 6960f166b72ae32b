package mqtt

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/onair-dev/onair/mapping"
)

// A daemon whose default node ID changed from the bare host name to the
// host name with a per-machine suffix removes what it published under the
// old one: Home Assistant keeps one device, not a ghost beside the new one.
func TestFormerNodeIDTopicsRemoved(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	users := []string{"me", "jane@contoso.com"}
	state := func(p running) {
		for _, u := range users {
			p.Update(UserState{User: u, Presence: mapping.Presence{Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityInACall}, Signal: mapping.Signal{Color: mapping.Red, Brightness: 100, Effect: mapping.Solid}})
		}
	}
	old := startPublisher(t, Options{Broker: "tcp://" + b.addr, NodeID: "raspberrypi", Signs: []Sign{{Name: "door", User: "me", Topic: "door/sign"}}, PlainTopics: true})
	old.SetUsers(users)
	state(old)
	b.wait(t, 0, old.UserTopic("jane@contoso.com", "availability"), nil)
	b.wait(t, 0, "door/sign", nil)
	old.stop()
	b.mustRetain(t, "onair/raspberrypi/status", "offline")
	var before []string
	for _, tp := range retainedTopics(b) {
		if strings.Contains(tp, "raspberrypi") {
			before = append(before, tp)
		}
	}
	if len(before) < 10 {
		t.Fatalf("the old daemon left only %d retained topics: %q", len(before), before)
	}

	cur := startPublisher(t, Options{Broker: "tcp://" + b.addr, NodeID: "raspberrypi-1a2b", FormerNodeID: "raspberrypi", Signs: []Sign{{Name: "door", User: "me", Topic: "door/sign"}}})
	cur.SetUsers(users)
	state(cur)
	cur.waitLog(t, 0, slog.LevelInfo, "mqtt connected")
	b.wait(t, 0, cur.UserTopic("jane@contoso.com", "state"), nil)
	// Clearing is delivered before the state of the new node (kindClear
	// sorts first), so by now every old topic is gone.
	b.wait(t, 0, "onair/raspberrypi-1a2b/status", is("online"))
	for _, tp := range before {
		if strings.Contains(tp, "raspberrypi-1a2b") {
			continue
		}
		if v, ok := b.retained(tp); ok {
			t.Errorf("%s still retained (%q) after the migration", tp, v)
		}
	}
	if _, ok := b.retained("door/sign"); !ok {
		t.Error("the migration removed the door sign's topic, which is the user's, not the node's")
	}
}

func retainedTopics(b *broker) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range b.msgs.snapshot() {
		if !seen[m.topic] {
			seen[m.topic] = true
			if _, ok := b.retained(m.topic); ok {
				out = append(out, m.topic)
			}
		}
	}
	return out
}

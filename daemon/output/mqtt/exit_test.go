package mqtt

import (
	"encoding/json"
	"testing"

	"github.com/onair-dev/onair/mapping"
)

// exitSigns are one sign of each format with the default exit state, one
// with its own and one that keeps its last signal.
var exitSigns = []Sign{
	{Name: "door", User: "me", Topic: "office/door", Format: SignJSON},
	{Name: "text", User: "me", Topic: "office/door/text", Format: SignText},
	{Name: "strip", User: "me", Topic: "wled/door", Format: SignWLED},
	{Name: "hall", User: "me", Topic: "hall/sign", Format: SignText, Exit: &mapping.Signal{Color: mapping.Blue, Brightness: 30, Effect: mapping.Solid, Label: "Back soon"}},
	{Name: "kept", User: "me", Topic: "lobby/sign", Format: SignJSON, ExitKeep: true},
}

// TestSignsShowExitStateOnStop: on a clean stop every sign gets its exit
// state (dark and "Offline" unless configured; nothing for keep), and only
// then does the status topic say "offline".
func TestSignsShowExitStateOnStop(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	p := startPublisher(t, Options{Broker: b.addr, Signs: exitSigns})
	p.Update(busyState("me", "On a call"))
	for _, topic := range []string{"office/door", "office/door/text", "wled/door", "hall/sign", "lobby/sign"} {
		b.wait(t, 0, topic, nil)
	}
	b.wait(t, 0, "office/door/text", is("On a call"))
	start := len(b.msgs.snapshot())

	p.stop()
	off, _ := b.wait(t, start, "onair/pi/status", is("offline"))

	var door signPayload
	js, _ := b.retained("office/door")
	if err := json.Unmarshal([]byte(js), &door); err != nil {
		t.Fatalf("office/door: %v: %q", err, js)
	}
	if want := (signPayload{Color: "#000000", Effect: "off", Label: "Offline", Availability: Unknown, Activity: Unknown}); door != want {
		t.Errorf("json sign after stop = %+v, want %+v", door, want)
	}
	b.mustRetain(t, "office/door/text", "Offline")
	b.mustRetain(t, "wled/door", "OFF")
	b.mustRetain(t, "wled/door/col", "#000000")
	b.mustRetain(t, "hall/sign", "Back soon")
	var kept signPayload
	js, _ = b.retained("lobby/sign")
	if err := json.Unmarshal([]byte(js), &kept); err != nil || kept.Label != "On a call" || !kept.Online || !kept.Busy {
		t.Errorf("exit: keep sign after stop = %q (%v), want its last signal", js, err)
	}

	// The exit states reach the broker before "offline".
	seen := map[string]bool{}
	for _, m := range b.msgs.snapshot()[start:off] {
		seen[m.topic] = true
	}
	if seen["lobby/sign"] {
		t.Error("exit: keep sign was republished on stop")
	}
	for _, topic := range []string{"office/door", "office/door/text", "wled/door", "wled/door/col", "wled/door/api", "hall/sign"} {
		if !seen[topic] {
			t.Errorf("%s got no exit state before offline", topic)
		}
	}
}

// TestCrashLeavesSignsSayingOnline: when onair vanishes without a clean
// stop (a crash, a cut network), the broker publishes the will, "offline"
// on the status topic, and the signs keep their last payload, which says
// "online": true. A consumer tells the two apart by the status topic; this
// is what the README's "After a crash" paragraph documents.
func TestCrashLeavesSignsSayingOnline(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	px := startProxy(t, b.addr)
	p := startPublisher(t, Options{Broker: "tcp://" + px.addr(), Signs: exitSigns[:1]})
	p.Update(busyState("me", "On a call"))
	i, _ := b.wait(t, 0, "office/door", nil)

	px.cut() // the broker drops the client without DISCONNECT
	b.wait(t, i, "onair/pi/status", is("offline"))
	b.mustRetain(t, "onair/pi/status", "offline")
	var door signPayload
	js, _ := b.retained("office/door")
	if err := json.Unmarshal([]byte(js), &door); err != nil || !door.Online || door.Label != "On a call" {
		t.Errorf("sign after a crash = %q (%v), want its last payload with \"online\": true", js, err)
	}
}

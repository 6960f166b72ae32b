package daemon

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/onair-dev/onair/daemon/config"
	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/mapping"
)

// A reload keeps the MQTT connection when only rules or users change (the
// broker sees no reconnect; a removed user's topics are cleared, an added
// one's appear) and restarts the output when its own options change.
func TestReloadMQTT(t *testing.T) {
	addr := startMochi(t)
	obs := observe(t, addr)
	path := filepath.Join(t.TempDir(), "config.yaml")
	write := func(users, nodeID, colour string) {
		body := "version: 1\ngraph:\n  users: [" + users + "]\nmqtt:\n  broker: tcp://" + addr + "\n  node_id: " + nodeID + "\n  plain_topics: true\nmapping:\n  rules:\n    - availability: busy\n      color: '" + colour + "'\n"
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("a@x.com, b@x.com", "desk", "#0000ff")
	src := &scriptSource{}
	src.ps = []mapping.Presence{
		{User: config.Me, Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityInACall},
		{User: "a@x.com", Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityInACall},
		{User: "b@x.com", Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityInACall},
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	n := &notifier{c: make(chan *output.Snapshot, 16)}
	d, err := New(Options{Config: cfg, Paths: config.Paths{Config: path}, NoControl: true, NoLights: true, source: src, outputs: []output.Output{n}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	obs.wait(t, "onair/desk/b_x_com/color", func(v string) bool { return v == "#0000ff" })
	mqttOut := func() output.Output {
		d.mu.Lock()
		defer d.mu.Unlock()
		for _, o := range d.outs {
			if o.kind == "mqtt" {
				return o.out
			}
		}
		return nil
	}
	before := mqttOut()

	// Rules and users change; the MQTT options do not.
	write("a@x.com, c@x.com", "desk", "#ff00ff")
	res := d.Reload(t.Context())
	if !res.OK || slices.Contains(res.Changed, "mqtt") || !slices.Contains(res.Changed, "users") {
		t.Fatalf("reload = %+v, want users and rules changed, mqtt kept", res)
	}
	if mqttOut() != before {
		t.Error("the MQTT output was restarted although its options did not change")
	}
	obs.wait(t, "onair/desk/a_x_com/color", func(v string) bool { return v == "#ff00ff" })
	obs.wait(t, "onair/desk/b_x_com/color", func(v string) bool { return v == "" })
	obs.wait(t, "onair/desk/c_x_com/state", func(v string) bool { return strings.Contains(v, `"user":"c@x.com"`) })

	// The node ID changes: the output restarts under the new one.
	write("a@x.com, c@x.com", "office", "#ff00ff")
	res = d.Reload(t.Context())
	if !res.OK || !slices.Contains(res.Changed, "mqtt") {
		t.Fatalf("reload = %+v, want mqtt changed", res)
	}
	obs.wait(t, "onair/desk/status", func(v string) bool { return v == "offline" })
	obs.wait(t, "onair/office/status", func(v string) bool { return v == "online" })
	obs.wait(t, "onair/office/a_x_com/color", func(v string) bool { return v == "#ff00ff" })
	if mqttOut() == before {
		t.Error("the MQTT output was not restarted for a new node ID")
	}

	// A broken file: MQTT health says so, with the line.
	os.WriteFile(path, []byte("version: 1\nmqtt:\n  broker: tcp://"+addr+"\n  node_id: office\n  discovery: sometimes\n"), 0o600)
	if res := d.Reload(t.Context()); res.OK {
		t.Fatalf("broken reload accepted: %+v", res)
	}
	obs.wait(t, "onair/office/health", func(v string) bool {
		return strings.Contains(v, "config: reload failed") && strings.Contains(v, ":5: mqtt.discovery")
	})
}

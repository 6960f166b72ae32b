package daemon

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/onair-dev/onair/daemon/config"
	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/mapping"
)

// haBusyTemplate is the busy binary_sensor's value_template; haState
// renders it as Home Assistant does for a state JSON (payload_on "ON" is
// state "on").
const haBusyTemplate = "{{ 'ON' if value_json.busy else 'OFF' }}"

func haState(t *testing.T, stateJSON string) string {
	t.Helper()
	var v struct {
		Busy  *bool `json:"busy"`
		Teams struct {
			Availability string `json:"availability"`
		} `json:"teams"`
	}
	if err := json.Unmarshal([]byte(stateJSON), &v); err != nil || v.Busy == nil {
		t.Fatalf("state %q has no busy: %v", stateJSON, err)
	}
	if *v.Busy {
		return "on"
	}
	return "off"
}

// automationTriggers reads the entity and the to/from states the shipped
// automation (configs/homeassistant/automation-busy-red.yaml) fires on.
func automationTriggers(t *testing.T) (entity, onTo, offFrom string) {
	b, err := os.ReadFile("../configs/homeassistant/automation-busy-red.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Triggers []struct {
			EntityID string `yaml:"entity_id"`
			To       string `yaml:"to"`
			From     string `yaml:"from"`
			ID       string `yaml:"id"`
		} `yaml:"triggers"`
	}
	if err := yaml.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	for _, tr := range a.Triggers {
		if entity != "" && tr.EntityID != entity {
			t.Fatalf("automation triggers on two entities: %s and %s", entity, tr.EntityID)
		}
		entity = tr.EntityID
		switch tr.ID {
		case "busy":
			onTo = tr.To
		case "free":
			offFrom = tr.From
		}
	}
	if entity == "" || onTo == "" || offFrom == "" {
		t.Fatalf("automation triggers not found: %+v", a.Triggers)
	}
	return entity, onTo, offFrom
}

// TestHABusyFollowsOverride: Home Assistant's busy binary_sensor follows
// the effective signal. Teams says available; a manual `busy` override
// from the MQTT command topic turns the sensor on (and the shipped
// automation's "busy" trigger fires), while the Teams availability sensor
// still says available; pause turns it off; `clear` turns it off again
// (the automation's "free" trigger fires).
func TestHABusyFollowsOverride(t *testing.T) {
	addr := startMochi(t)
	obs := observe(t, addr)
	src := &scriptSource{}
	src.set(mapping.AvailabilityAvailable, mapping.ActivityAvailable)
	cfg, err := config.Parse([]byte("version: 1\nmqtt:\n  broker: tcp://" + addr + "\n  node_id: desk\n  plain_topics: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	n := &notifier{c: make(chan *output.Snapshot, 16)}
	d, err := New(Options{Config: cfg, NoControl: true, NoLights: true, source: src, Version: "test", outputs: []output.Output{n}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	// Discovery: the busy binary_sensor is the entity the automation
	// watches, reading "busy" from the state JSON.
	entity, onTo, offFrom := automationTriggers(t)
	disc := obs.wait(t, "homeassistant/device/onair_desk_me/config", func(string) bool { return true })
	var dev struct {
		Cmps map[string]map[string]any `json:"cmps"`
	}
	if err := json.Unmarshal([]byte(disc), &dev); err != nil {
		t.Fatal(err)
	}
	busy := dev.Cmps["busy"]
	if busy["default_entity_id"] != entity || busy["value_template"] != haBusyTemplate || busy["state_topic"] != "onair/desk/me/state" || busy["name"] != "Busy" {
		t.Fatalf("busy binary_sensor = %v; want %s reading value_json.busy from onair/desk/me/state", busy, entity)
	}
	if dev.Cmps["availability"]["name"] != "Teams availability" || dev.Cmps["activity"]["name"] != "Teams activity" {
		t.Errorf("presence sensors are not named as Teams': %v, %v", dev.Cmps["availability"]["name"], dev.Cmps["activity"]["name"])
	}

	const stateTopic = "onair/desk/me/state"
	obs.wait(t, stateTopic, func(v string) bool { return haState(t, v) == "off" })

	obs.publish(t, "onair/desk/set", "busy")
	st := obs.wait(t, stateTopic, func(v string) bool { return haState(t, v) == onTo })
	var v struct {
		Teams struct{ Availability, Activity string } `json:"teams"`
		Label string                                  `json:"label"`
	}
	json.Unmarshal([]byte(st), &v)
	if v.Teams.Availability != "available" || v.Teams.Activity != "available" {
		t.Errorf("during the override the Teams presence = %+v, want what Teams says (available): %s", v.Teams, st)
	}
	obs.wait(t, "onair/desk/me/availability", func(s string) bool { return s == "available" })

	obs.publish(t, "onair/desk/set", "pause")
	obs.wait(t, stateTopic, func(v string) bool { return haState(t, v) == "off" })
	obs.publish(t, "onair/desk/set", "resume")
	obs.wait(t, stateTopic, func(v string) bool { return haState(t, v) == onTo })

	obs.publish(t, "onair/desk/set", "clear")
	st = obs.wait(t, stateTopic, func(v string) bool { return haState(t, v) != offFrom })
	if got := haState(t, st); got != "off" {
		t.Errorf("after clear the busy sensor is %s, want off", got)
	}

	// A red colour override is busy too; green is not.
	obs.publish(t, "onair/desk/set", `{"color":"red"}`)
	obs.wait(t, stateTopic, func(v string) bool { return haState(t, v) == "on" })
	obs.publish(t, "onair/desk/set", `{"color":"green","for":"1h"}`)
	n.waitFor(t, 5*time.Second, "green override", func(s *output.Snapshot) bool { return s.Override != nil && s.Override.Label == "Green" })
	obs.wait(t, stateTopic, func(v string) bool { return haState(t, v) == "off" })
}

// TestUntilAttr: log lines show an end time as a person reads it: the time
// alone today, else the day and how far away it is.
func TestUntilAttr(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.Local)
	for _, tt := range []struct {
		t    time.Time
		want string
	}{
		{time.Time{}, "until cleared"},
		{now.Add(30 * time.Minute), "10:30"},
		{now.Add(48 * time.Hour), "Thu 10:00 (in 2d)"},
	} {
		if got := untilAttr(now, tt.t); got != tt.want {
			t.Errorf("untilAttr(%v) = %q, want %q", tt.t, got, tt.want)
		}
	}
}

package mqtt

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/onair-dev/onair/mapping"
)

var goldenUsers = []string{"me", "jane.doe@contoso.com"}

func goldenPublisher(t testing.TB, mode DiscoveryMode) *Publisher {
	t.Helper()
	p, err := New(Options{
		Broker:    "tcp://broker",
		NodeID:    "pi",
		Version:   "1.2.3",
		Discovery: mode,
		Signs: []Sign{
			{Name: "door", User: "me", Topic: "office/door", Format: SignJSON},
			{Name: "text", User: "me", Topic: "office/door/text", Format: SignText},
			{Name: "strip", User: "jane.doe@contoso.com", Topic: "wled/door", Format: SignWLED},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// checkGolden compares got (indented JSON) with testdata/name, or rewrites
// the file when UPDATE_GOLDEN=1.
func checkGolden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run UPDATE_GOLDEN=1 go test ./daemon/output/mqtt/)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs (-want +got); run UPDATE_GOLDEN=1 go test ./daemon/output/mqtt/ if intended:\n%s", path, cmp.Diff(string(want), string(got)))
	}
}

func TestDiscoveryGolden(t *testing.T) {
	for _, mode := range []DiscoveryMode{DiscoveryDevice, DiscoveryComponents} {
		t.Run(string(mode), func(t *testing.T) {
			checkGolden(t, "discovery-"+string(mode)+".golden.json", goldenPublisher(t, mode).DiscoveryPayloads(goldenUsers))
		})
	}
	if got := goldenPublisher(t, DiscoveryOff).DiscoveryPayloads(goldenUsers); len(got) != 0 {
		t.Errorf("discovery off publishes %d configs", len(got))
	}
}

// TestStateGolden pins the per-user state topics and every sign format.
func TestStateGolden(t *testing.T) {
	p := goldenPublisher(t, DiscoveryDevice)
	since := time.Date(2026, 3, 4, 9, 30, 0, 0, time.FixedZone("CET", 3600))
	p.Update(UserState{
		User: "me", Name: "Me Myself",
		Presence: mapping.Presence{User: "me", Availability: "busy", Activity: "InAMeeting", StatusMessage: "Planning"},
		Busy:     true,
		Signal:   mapping.Signal{Color: mapping.MustColor("red"), Brightness: 80, Effect: mapping.Solid, Label: "In a meeting", Rule: "meeting"},
		Since:    since,
	})
	p.Update(UserState{
		User:     "jane.doe@contoso.com",
		Presence: mapping.Presence{Availability: "AvailableInactive", Activity: "Whatever"},
		Signal:   mapping.Signal{Color: mapping.MustColor("yellow"), Brightness: 100, Effect: mapping.Pulse, Label: "Away"},
		Stale:    true,
	})
	got := map[string]any{}
	p.mu.Lock()
	for topic, m := range p.retained {
		switch {
		case m.kind == kindDiscovery:
		case bytes.HasPrefix(m.payload, []byte("{")):
			got[topic] = json.RawMessage(m.payload)
		default:
			got[topic] = string(m.payload)
		}
	}
	p.mu.Unlock()
	checkGolden(t, "state.golden.json", got)
}

// Keys Home Assistant accepts in MQTT discovery (full names) and the
// abbreviations it expands (homeassistant/components/mqtt/abbreviations.py),
// restricted to the platforms onair uses.
var (
	haAbbreviations = map[string]string{
		"avty": "availability", "avty_t": "availability_topic", "cmd_t": "command_topic",
		"cmd_tpl": "command_template", "dev": "device", "dev_cla": "device_class",
		"e": "encoding", "en": "enabled_by_default", "ent_cat": "entity_category",
		"exp_aft": "expire_after", "frc_upd": "force_update", "ic": "icon",
		"json_attr_t": "json_attributes_topic", "json_attr_tpl": "json_attributes_template",
		"obj_id": "object_id", "ops": "options", "opt": "optimistic", "pl_avail": "payload_available",
		"pl_not_avail": "payload_not_available", "pl_off": "payload_off", "pl_on": "payload_on",
		"ret": "retain", "stat_cla": "state_class", "stat_off": "state_off", "stat_on": "state_on",
		"stat_t": "state_topic", "t": "topic", "uniq_id": "unique_id", "unit_of_meas": "unit_of_measurement",
		"val_tpl": "value_template", "o": "origin", "cmps": "components", "p": "platform",
	}
	haDeviceAbbreviations = map[string]string{
		"cns": "connections", "cu": "configuration_url", "ids": "identifiers", "mf": "manufacturer",
		"mdl": "model", "mdl_id": "model_id", "sw": "sw_version", "hw": "hw_version", "sn": "serial_number",
		"sa": "suggested_area",
	}
	haOriginAbbreviations = map[string]string{"sw": "sw_version", "url": "support_url"}
	haEntityKeys          = set("availability", "availability_topic", "availability_mode", "command_topic",
		"command_template", "device", "device_class", "default_entity_id", "enabled_by_default", "encoding",
		"entity_category", "expire_after", "force_update", "icon", "json_attributes_topic",
		"json_attributes_template", "name", "options", "optimistic", "origin", "payload_available",
		"payload_not_available", "payload_off", "payload_on", "platform", "qos", "retain", "state_class",
		"state_off", "state_on", "state_topic", "unique_id", "unit_of_measurement", "value_template")
	haDeviceKeys = set("connections", "configuration_url", "identifiers", "manufacturer", "model",
		"model_id", "name", "hw_version", "sw_version", "serial_number", "suggested_area", "via_device")
	haOriginKeys = set("name", "sw_version", "support_url")
	// Required keys per platform, from Home Assistant's MQTT integration
	// docs (https://www.home-assistant.io/integrations/sensor.mqtt/,
	// binary_sensor.mqtt/, select.mqtt/, switch.mqtt/).
	haRequired = map[string][]string{
		"sensor":        {"state_topic"},
		"binary_sensor": {"state_topic"},
		"select":        {"command_topic", "options"},
		"switch":        {"command_topic"},
	}
	// Options shared from the root of a device payload ("Device discovery
	// payload" in https://www.home-assistant.io/integrations/mqtt/).
	haShared = set("availability", "availability_topic", "availability_mode", "payload_available", "payload_not_available", "qos", "encoding", "state_topic", "command_topic")
	topicRE  = regexp.MustCompile(`^homeassistant/([a-z_]+)/(?:([a-zA-Z0-9_-]+)/)?([a-zA-Z0-9_-]+)/config$`)
	entityRE = regexp.MustCompile(`^([a-z_]+)\.[a-z0-9_]+$`)
)

func set(s ...string) map[string]bool {
	m := map[string]bool{}
	for _, v := range s {
		m[v] = true
	}
	return m
}

// expand returns m with abbreviated keys spelled out; it fails on keys HA
// does not know.
func expand(t *testing.T, where string, m map[string]any, abbr map[string]string, known map[string]bool) map[string]any {
	t.Helper()
	out := map[string]any{}
	for k, v := range m {
		full := k
		if a, ok := abbr[k]; ok {
			full = a
		}
		if !known[full] {
			t.Errorf("%s: key %q is not a known discovery key", where, k)
		}
		if _, dup := out[full]; dup {
			t.Errorf("%s: key %q given twice (abbreviated and in full)", where, full)
		}
		out[full] = v
	}
	return out
}

// checkEntity applies HA's per-entity rules to one component config.
func checkEntity(t *testing.T, where, platform string, cfg map[string]any, statusTopic string, uniq map[string]string) {
	t.Helper()
	for _, k := range haRequired[platform] {
		if _, ok := cfg[k]; !ok {
			t.Errorf("%s: %s needs %q", where, platform, k)
		}
	}
	if _, ok := haRequired[platform]; !ok {
		t.Errorf("%s: unexpected platform %q", where, platform)
	}
	uid, _ := cfg["unique_id"].(string)
	if uid == "" {
		t.Errorf("%s: no unique_id", where)
	} else if prev, dup := uniq[uid]; dup {
		t.Errorf("%s: unique_id %q also used by %s", where, uid, prev)
	} else {
		uniq[uid] = where
	}
	if _, ok := cfg["object_id"]; ok {
		t.Errorf("%s: deprecated object_id", where)
	}
	eid, _ := cfg["default_entity_id"].(string)
	if m := entityRE.FindStringSubmatch(eid); m == nil || m[1] != platform {
		t.Errorf("%s: default_entity_id %q is not %s.<id>", where, eid, platform)
	}
	if name, _ := cfg["name"].(string); name == "" {
		t.Errorf("%s: no name", where)
	}
	avty, _ := cfg["availability"].([]any)
	if len(avty) != 1 {
		t.Errorf("%s: availability = %v, want the status topic", where, cfg["availability"])
	} else {
		a := avty[0].(map[string]any)
		if a["topic"] != statusTopic || a["payload_available"] != "online" || a["payload_not_available"] != "offline" {
			t.Errorf("%s: availability = %v", where, a)
		}
	}
	for k, v := range cfg {
		if strings.HasSuffix(k, "_topic") && !strings.HasPrefix(v.(string), "onair/pi/") {
			t.Errorf("%s: %s %q outside onair/pi/", where, k, v)
		}
	}
	if cfg["device_class"] == "enum" {
		ops, _ := cfg["options"].([]any)
		if len(ops) == 0 {
			t.Errorf("%s: enum sensor without options", where)
		}
	}
}

func checkDevice(t *testing.T, where string, dev map[string]any) {
	t.Helper()
	ids, _ := dev["identifiers"].([]any)
	if len(ids) == 0 {
		t.Errorf("%s: device without identifiers", where)
	}
	if name, _ := dev["name"].(string); name == "" {
		t.Errorf("%s: device without name", where)
	}
}

func checkOrigin(t *testing.T, where string, o map[string]any) {
	t.Helper()
	if o["name"] != "onair" {
		t.Errorf("%s: origin name = %v", where, o["name"])
	}
	if o["sw_version"] != "1.2.3" {
		t.Errorf("%s: origin sw_version = %v", where, o["sw_version"])
	}
}

// TestDiscoveryFollowsHARules checks every discovery payload against Home
// Assistant's documented rules (MQTT discovery in
// https://www.home-assistant.io/integrations/mqtt/): topic pattern, known keys and
// abbreviations, required keys per platform, unique_id unique across
// everything, device identifiers, origin name, availability on the status
// topic, default_entity_id instead of object_id, and enum options that cover
// every state onair publishes.
func TestDiscoveryFollowsHARules(t *testing.T) {
	for _, mode := range []DiscoveryMode{DiscoveryDevice, DiscoveryComponents} {
		t.Run(string(mode), func(t *testing.T) {
			p := goldenPublisher(t, mode)
			uniq := map[string]string{}
			entities := map[string]map[string]any{} // by unique_id
			payloads := p.DiscoveryPayloads(goldenUsers)
			wantCount := map[DiscoveryMode]int{DiscoveryDevice: 3, DiscoveryComponents: 3 + 8*2}[mode]
			if len(payloads) != wantCount {
				t.Errorf("%d payloads, want %d", len(payloads), wantCount)
			}
			for topic, raw := range payloads {
				m := topicRE.FindStringSubmatch(topic)
				if m == nil {
					t.Errorf("illegal discovery topic %q", topic)
					continue
				}
				var root map[string]any
				if err := json.Unmarshal(raw, &root); err != nil {
					t.Fatalf("%s: %v", topic, err)
				}
				if mode == DiscoveryDevice {
					if m[1] != "device" || m[2] != "" {
						t.Errorf("device mode topic %q", topic)
					}
					root = expand(t, topic, root, haAbbreviations, union(haShared, set("device", "origin", "components")))
					dev := expand(t, topic+" dev", root["device"].(map[string]any), haDeviceAbbreviations, haDeviceKeys)
					checkDevice(t, topic, dev)
					if dev["identifiers"].([]any)[0] != m[3] {
						t.Errorf("%s: device identifier %v is not the object id", topic, dev["identifiers"])
					}
					checkOrigin(t, topic, expand(t, topic+" o", root["origin"].(map[string]any), haOriginAbbreviations, haOriginKeys))
					comps, _ := root["components"].(map[string]any)
					if len(comps) == 0 {
						t.Errorf("%s: no components", topic)
					}
					for id, c := range comps {
						where := topic + " cmps." + id
						cfg := expand(t, where, c.(map[string]any), haAbbreviations, haEntityKeys)
						for k, v := range root {
							if _, own := cfg[k]; !own && haShared[k] {
								cfg[k] = v
							}
						}
						platform, _ := cfg["platform"].(string)
						checkEntity(t, where, platform, cfg, p.StatusTopic(), uniq)
						entities[cfg["unique_id"].(string)] = cfg
					}
					continue
				}
				cfg := expand(t, topic, root, haAbbreviations, haEntityKeys)
				if _, ok := cfg["platform"]; ok {
					t.Errorf("%s: platform in a per-component payload", topic)
				}
				if m[2] != "pi" {
					t.Errorf("%s: node_id %q, want pi", topic, m[2])
				}
				if cfg["unique_id"] != m[3] {
					t.Errorf("%s: object_id is not the unique_id %v", topic, cfg["unique_id"])
				}
				dev := expand(t, topic+" dev", cfg["device"].(map[string]any), haDeviceAbbreviations, haDeviceKeys)
				checkDevice(t, topic, dev)
				checkOrigin(t, topic, expand(t, topic+" o", cfg["origin"].(map[string]any), haOriginAbbreviations, haOriginKeys))
				checkEntity(t, topic, m[1], cfg, p.StatusTopic(), uniq)
				entities[cfg["unique_id"].(string)] = cfg
			}
			// Enum sensors accept every state onair publishes.
			options := func(uid string) []string {
				var out []string
				for _, o := range entities[uid]["options"].([]any) {
					out = append(out, o.(string))
				}
				return out
			}
			av := options("onair_pi_me_availability")
			for _, a := range append(slices.Clone(mapping.Availabilities), "AvailableInactive", "") {
				if s := AvailabilityState(a); !slices.Contains(av, s) {
					t.Errorf("availability %q publishes %q, not an option", a, s)
				}
			}
			ac := options("onair_pi_me_activity")
			for _, a := range append(slices.Clone(mapping.Activities), "Something", "") {
				if s := ActivityState(a); !slices.Contains(ac, s) {
					t.Errorf("activity %q publishes %q, not an option", a, s)
				}
			}
			hs := options("onair_pi_health")
			for _, h := range HealthStates {
				if !slices.Contains(hs, string(h)) {
					t.Errorf("health %q not an option", h)
				}
			}
			sel := options("onair_pi_override")
			if !slices.Equal(sel, OverrideOptions) {
				t.Errorf("select options %q, want %q", sel, OverrideOptions)
			}
			sw := entities["onair_pi_pause"]
			for _, pl := range []string{sw["payload_on"].(string), sw["payload_off"].(string)} {
				if _, err := ParseCommand([]byte(pl)); err != nil {
					t.Errorf("switch payload %q does not parse: %v", pl, err)
				}
			}
			ids := make([]string, 0, len(entities))
			for id := range entities {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			if len(ids) != 3+8*2 {
				t.Errorf("entities %q", ids)
			}
		})
	}
}

func union(a, b map[string]bool) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// TestHomeAssistantExamples checks that the examples in
// configs/homeassistant are valid YAML and name only entities that
// discovery creates (user "me", node "desk"), so they cannot drift from the
// default_entity_id scheme.
func TestHomeAssistantExamples(t *testing.T) {
	p, err := New(Options{Broker: "tcp://broker", NodeID: "desk"})
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, raw := range p.DiscoveryPayloads([]string{"me"}) {
		for _, m := range regexp.MustCompile(`"default_entity_id":"([^"]+)"`).FindAllSubmatch(raw, -1) {
			known[string(m[1])] = true
		}
	}
	files, err := filepath.Glob("../../../configs/homeassistant/*.yaml")
	if err != nil || len(files) < 2 {
		t.Fatalf("examples: %v %v", files, err)
	}
	ref := regexp.MustCompile(`\b(?:sensor|binary_sensor|select|switch)\.onair_[a-z0-9_]+`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if _, card := doc["type"]; !card {
			for _, k := range []string{"alias", "triggers", "actions"} {
				if _, ok := doc[k]; !ok {
					t.Errorf("%s: automation without %q", f, k)
				}
			}
		}
		refs := ref.FindAllString(string(b), -1)
		if len(refs) == 0 {
			t.Errorf("%s: names no onair entity", f)
		}
		for _, id := range refs {
			if !known[id] {
				t.Errorf("%s: %s is not an entity onair creates (have %v)", f, id, known)
			}
		}
	}
}

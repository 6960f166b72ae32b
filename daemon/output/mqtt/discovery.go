package mqtt

import (
	"encoding/json"
	"sort"
	"strings"
)

// SupportURL is the origin support_url shown in Home Assistant.
const SupportURL = "https://github.com/onair-dev/onair"

// Home Assistant discovery, as documented at
// https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery:
//
//   - device mode: one retained message per HA device on
//     <prefix>/device/<object_id>/config with "dev", "o" and "cmps"; shared
//     options (availability, qos) sit at the root and every component has
//     "p" and "unique_id";
//   - components mode: one retained message per entity on
//     <prefix>/<component>/<node_id>/<unique_id>/config.
//
// Entity IDs come from default_entity_id (object_id is deprecated since HA
// 2025.10): sensor.onair_<user>_availability, select.onair_<node>_override,
// and so on. Keys are spelled out except the device-discovery keys "dev",
// "o", "cmps" and "p".

// component is one HA entity: its platform, the key inside "cmps" and its
// config (without device, origin and availability).
type component struct {
	platform string
	key      string
	config   map[string]any
}

// entityID returns the default_entity_id object part: lower case, [a-z0-9_].
func entityID(parts ...string) string {
	return strings.ReplaceAll(strings.Join(parts, "_"), "-", "_")
}

func (p *Publisher) origin() map[string]any {
	o := map[string]any{"name": "onair", "support_url": SupportURL}
	if p.opts.Version != "" {
		o["sw_version"] = p.opts.Version
	}
	return o
}

func (p *Publisher) availability() []map[string]any {
	return []map[string]any{{"topic": p.t.status(), "payload_available": "online", "payload_not_available": "offline"}}
}

func (p *Publisher) daemonDevice() map[string]any {
	d := map[string]any{
		"identifiers":  []string{p.t.daemonObjectID()},
		"name":         "onair " + p.opts.NodeID,
		"manufacturer": "onair",
		"model":        "onair daemon",
	}
	if p.opts.Version != "" {
		d["sw_version"] = p.opts.Version
	}
	return d
}

func (p *Publisher) userDevice(slug, name string) map[string]any {
	return map[string]any{
		"identifiers":  []string{p.t.userObjectID(slug)},
		"name":         name,
		"manufacturer": "onair",
		"model":        "Microsoft Teams presence",
		"via_device":   p.t.daemonObjectID(),
	}
}

func (p *Publisher) daemonComponents() []component {
	obj := p.t.daemonObjectID()
	node := p.opts.NodeID
	health := make([]string, len(HealthStates))
	for i, h := range HealthStates {
		health[i] = string(h)
	}
	return []component{
		{platform: "sensor", key: "health", config: map[string]any{
			"name":                  "Health",
			"unique_id":             obj + "_health",
			"default_entity_id":     "sensor." + entityID("onair", node, "health"),
			"state_topic":           p.t.health(),
			"value_template":        "{{ value_json.state }}",
			"json_attributes_topic": p.t.health(),
			"device_class":          "enum",
			"options":               health,
			"entity_category":       "diagnostic",
			"icon":                  "mdi:heart-pulse",
		}},
		{platform: "select", key: "override", config: map[string]any{
			"name":                  "Override",
			"unique_id":             obj + "_override",
			"default_entity_id":     "select." + entityID("onair", node, "override"),
			"command_topic":         p.t.command(),
			"state_topic":           p.t.override(),
			"value_template":        "{{ value_json.option }}",
			"json_attributes_topic": p.t.override(),
			"options":               OverrideOptions,
			"retain":                false,
			"icon":                  "mdi:account-switch",
		}},
		{platform: "switch", key: "pause", config: map[string]any{
			"name":                  "Pause",
			"unique_id":             obj + "_pause",
			"default_entity_id":     "switch." + entityID("onair", node, "pause"),
			"command_topic":         p.t.command(),
			"payload_on":            "pause",
			"payload_off":           "resume",
			"state_topic":           p.t.paused(),
			"value_template":        "{{ 'ON' if value_json.paused else 'OFF' }}",
			"state_on":              "ON",
			"state_off":             "OFF",
			"json_attributes_topic": p.t.paused(),
			"retain":                false,
			"icon":                  "mdi:pause-circle",
		}},
	}
}

// userComponents are one watched user's entities. Two kinds, named so that
// nobody mistakes one for the other: "Teams availability" and "Teams
// activity" are what Teams says (an override does not change them); "Busy",
// "Signal" (the door-sign text) and "Signal colour" are what onair shows,
// after override and pause. Entity IDs stay as they were
// (sensor.onair_<user>_availability, …_label), so automations keep working.
//
// Every entity reads the user's one JSON state topic through a
// value_template, so a change is one message per user whether or not the
// plain topics are on.
func (p *Publisher) userComponents(slug string) []component {
	obj := p.t.userObjectID(slug)
	eid := func(domain, leaf string) string { return domain + "." + entityID("onair", slug, leaf) }
	state := p.t.user(slug, "state")
	return []component{
		{platform: "sensor", key: "availability", config: map[string]any{
			"name":                  "Teams availability",
			"unique_id":             obj + "_availability",
			"default_entity_id":     eid("sensor", "availability"),
			"state_topic":           state,
			"value_template":        "{{ value_json.teams.availability }}",
			"device_class":          "enum",
			"options":               AvailabilityOptions(),
			"json_attributes_topic": state,
			"icon":                  "mdi:account-circle",
		}},
		{platform: "sensor", key: "activity", config: map[string]any{
			"name":              "Teams activity",
			"unique_id":         obj + "_activity",
			"default_entity_id": eid("sensor", "activity"),
			"state_topic":       state,
			"value_template":    "{{ value_json.teams.activity }}",
			"device_class":      "enum",
			"options":           ActivityOptions(),
			"icon":              "mdi:calendar-account",
		}},
		{platform: "binary_sensor", key: "busy", config: map[string]any{
			"name":                  "Busy",
			"unique_id":             obj + "_busy",
			"default_entity_id":     eid("binary_sensor", "busy"),
			"state_topic":           state,
			"value_template":        "{{ 'ON' if value_json.busy else 'OFF' }}",
			"json_attributes_topic": state,
			"payload_on":            "ON",
			"payload_off":           "OFF",
			"icon":                  "mdi:account-cancel",
		}},
		{platform: "sensor", key: "color", config: map[string]any{
			"name":              "Signal colour",
			"unique_id":         obj + "_color",
			"default_entity_id": eid("sensor", "color"),
			"state_topic":       state,
			"value_template":    "{{ value_json.shown_color }}",
			"icon":              "mdi:palette",
		}},
		{platform: "sensor", key: "label", config: map[string]any{
			"name":              "Signal",
			"unique_id":         obj + "_label",
			"default_entity_id": eid("sensor", "label"),
			"state_topic":       state,
			"value_template":    "{{ value_json.label }}",
			"icon":              "mdi:card-text-outline",
		}},
		{platform: "sensor", key: "since", config: map[string]any{
			"name":              "Last change",
			"unique_id":         obj + "_since",
			"default_entity_id": eid("sensor", "since"),
			"state_topic":       state,
			"value_template":    "{{ value_json.since if value_json.since is defined else None }}",
			"device_class":      "timestamp",
			"icon":              "mdi:clock-outline",
		}},
		{platform: "sensor", key: "until", config: map[string]any{
			"name":              "Busy until",
			"unique_id":         obj + "_until",
			"default_entity_id": eid("sensor", "until"),
			"state_topic":       state,
			"value_template":    "{{ value_json.until if value_json.until is defined else None }}",
			"device_class":      "timestamp",
			"icon":              "mdi:calendar-clock",
		}},
		{platform: "sensor", key: "next_busy", config: map[string]any{
			"name":              "Next meeting",
			"unique_id":         obj + "_next_busy",
			"default_entity_id": eid("sensor", "next_busy"),
			"state_topic":       state,
			"value_template":    "{{ value_json.next_busy if value_json.next_busy is defined else None }}",
			"device_class":      "timestamp",
			"icon":              "mdi:calendar-arrow-right",
		}},
	}
}

// discoveryMessages renders one HA device (device mode) or its entities
// (components mode) as retained messages. Discovery off renders nothing.
func (p *Publisher) discoveryMessages(objectID string, dev map[string]any, comps []component) []outMsg {
	switch p.opts.Discovery {
	case DiscoveryDevice:
		cmps := make(map[string]any, len(comps))
		for _, c := range comps {
			cfg := make(map[string]any, len(c.config)+1)
			for k, v := range c.config {
				cfg[k] = v
			}
			cfg["p"] = c.platform
			cmps[c.key] = cfg
		}
		payload := map[string]any{
			"dev":          dev,
			"o":            p.origin(),
			"cmps":         cmps,
			"availability": p.availability(),
			"qos":          1,
		}
		return []outMsg{{topic: p.t.deviceConfig(objectID), payload: mustJSON(payload), retain: true, kind: kindDiscovery}}
	case DiscoveryComponents:
		out := make([]outMsg, 0, len(comps))
		for _, c := range comps {
			cfg := make(map[string]any, len(c.config)+4)
			for k, v := range c.config {
				cfg[k] = v
			}
			cfg["dev"] = dev
			cfg["o"] = p.origin()
			cfg["availability"] = p.availability()
			cfg["qos"] = 1
			uid, _ := c.config["unique_id"].(string)
			out = append(out, outMsg{topic: p.t.componentConfig(c.platform, uid), payload: mustJSON(cfg), retain: true, kind: kindDiscovery})
		}
		return out
	}
	return nil
}

func (p *Publisher) daemonDiscovery() []outMsg {
	return p.discoveryMessages(p.t.daemonObjectID(), p.daemonDevice(), p.daemonComponents())
}

func (p *Publisher) userDiscovery(slug, name string) []outMsg {
	return p.discoveryMessages(p.t.userObjectID(slug), p.userDevice(slug, name), p.userComponents(slug))
}

// userDiscoveryTopics returns the topics of a user's discovery configs in
// the discovery mode.
func (p *Publisher) userDiscoveryTopics(slug string) []string {
	switch p.opts.Discovery {
	case DiscoveryDevice:
		return []string{p.t.deviceConfig(p.t.userObjectID(slug))}
	case DiscoveryComponents:
		var out []string
		for _, c := range p.userComponents(slug) {
			uid, _ := c.config["unique_id"].(string)
			out = append(out, p.t.componentConfig(c.platform, uid))
		}
		return out
	}
	return nil
}

// renderDiscovery returns the payload of a user's discovery config on
// topic.
func (p *Publisher) renderDiscovery(slug, name, topic string) []byte {
	for _, m := range p.userDiscovery(slug, name) {
		if m.topic == topic {
			return m.payload
		}
	}
	return nil
}

// DiscoveryPayloads returns every discovery topic and payload the publisher
// would send for users (keys as in UserState.User) in its discovery mode.
// For documentation, tests and a "show discovery" CLI.
func (p *Publisher) DiscoveryPayloads(users []string) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for _, m := range p.daemonDiscovery() {
		out[m.topic] = m.payload
	}
	keys := append([]string(nil), users...)
	sort.Strings(keys)
	for _, u := range keys {
		for _, m := range p.userDiscovery(Slug(u), u) {
			out[m.topic] = m.payload
		}
	}
	return out
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("mqtt: encode discovery: " + err.Error()) // only maps of strings, slices, bools and ints
	}
	return b
}

// ownedDiscovery reports whether a retained discovery payload seen on the
// broker was published by this node: its availability topic is ours.
func (p *Publisher) ownedDiscovery(payload []byte) bool {
	var v struct {
		Availability []struct {
			Topic  string `json:"topic"`
			TopicA string `json:"t"`
		} `json:"availability"`
		AvailabilityA []struct {
			Topic  string `json:"topic"`
			TopicA string `json:"t"`
		} `json:"avty"`
		Origin struct {
			Name string `json:"name"`
		} `json:"o"`
	}
	if json.Unmarshal(payload, &v) != nil || v.Origin.Name != "onair" {
		return false
	}
	for _, a := range append(v.Availability, v.AvailabilityA...) {
		if a.Topic == p.t.status() || a.TopicA == p.t.status() {
			return true
		}
	}
	return false
}

package mqtt

import (
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/onair-dev/onair/mapping"
)

// Slug returns the topic- and entity-id-safe form of a user key: lower case,
// every run of characters outside [a-z0-9] replaced by one "_", no leading or
// trailing "_". "jane.doe@contoso.com" → "jane_doe_contoso_com", "me" → "me".
// A key with no ASCII letter or digit becomes "user_" plus a hash of the key,
// so that the slug is still stable and distinct.
func Slug(user string) string {
	var b strings.Builder
	b.Grow(len(user))
	under := false
	for _, r := range strings.ToLower(strings.TrimSpace(user)) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(r)
			continue
		}
		under = true
	}
	if b.Len() == 0 {
		h := fnv.New32a()
		h.Write([]byte(user))
		return fmt.Sprintf("user_%08x", h.Sum32())
	}
	return b.String()
}

// snake converts a canonical PascalCase Graph value to snake_case:
// "DoNotDisturb" → "do_not_disturb", "InACall" → "in_a_call".
func snake(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		upper := 'A' <= c && c <= 'Z'
		if upper && i > 0 {
			prev := s[i-1]
			prevLower := 'a' <= prev && prev <= 'z'
			nextLower := i+1 < len(s) && 'a' <= s[i+1] && s[i+1] <= 'z'
			prevUpper := 'A' <= prev && prev <= 'Z'
			if prevLower || (prevUpper && nextLower) {
				b.WriteByte('_')
			}
		}
		if upper {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Unknown is the state published for an availability or activity that Graph
// documents nowhere (or that is empty), so that Home Assistant's enum sensors
// always receive one of their options.
const Unknown = "unknown"

// AvailabilityState returns the snake_case state onair publishes for a: the
// snake form of its canonical spelling ("do_not_disturb"), or "unknown".
func AvailabilityState(a mapping.Availability) string {
	if c, ok := mapping.ParseAvailability(string(a)); ok {
		return snake(string(c))
	}
	return Unknown
}

// ActivityState returns the snake_case state onair publishes for a, or
// "unknown".
func ActivityState(a mapping.Activity) string {
	if c, ok := mapping.ParseActivity(string(a)); ok {
		return snake(string(c))
	}
	return Unknown
}

// AvailabilityOptions returns the options of the availability enum sensor:
// every known availability in snake_case, then "unknown".
func AvailabilityOptions() []string {
	out := make([]string, 0, len(mapping.Availabilities)+1)
	for _, a := range mapping.Availabilities {
		out = append(out, snake(string(a)))
	}
	return append(out, Unknown)
}

// ActivityOptions returns the options of the activity enum sensor.
func ActivityOptions() []string {
	out := make([]string, 0, len(mapping.Activities)+1)
	for _, a := range mapping.Activities {
		out = append(out, snake(string(a)))
	}
	return append(out, Unknown)
}

// topics names every topic of one publisher.
type topics struct {
	base      string // <prefix>/<node>
	discovery string // discovery prefix
	node      string
}

func (t topics) status() string   { return t.base + "/status" }
func (t topics) health() string   { return t.base + "/health" }
func (t topics) override() string { return t.base + "/override" }
func (t topics) paused() string   { return t.base + "/paused" }
func (t topics) command() string  { return t.base + "/set" }
func (t topics) errors() string   { return t.base + "/error" }

func (t topics) user(slug, leaf string) string { return t.base + "/" + slug + "/" + leaf }

// daemonObjectID is the HA device identifier and object-id base of the daemon.
func (t topics) daemonObjectID() string { return "onair_" + t.node }

// userObjectID is the HA device identifier and object-id base of a user.
func (t topics) userObjectID(slug string) string { return "onair_" + t.node + "_" + slug }

func (t topics) deviceConfig(objectID string) string {
	return t.discovery + "/device/" + objectID + "/config"
}

func (t topics) componentConfig(component, objectID string) string {
	return t.discovery + "/" + component + "/" + t.node + "/" + objectID + "/config"
}

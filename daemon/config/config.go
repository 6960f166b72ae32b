package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/onair-dev/onair/daemon/secret"

	"github.com/onair-dev/onair/daemon/output/web"
	"github.com/onair-dev/onair/daemon/output/webhook"
)

// ErrNoConfig is returned by Load when the config file does not exist, as
// distinct from a file that exists but is invalid. The daemon then runs with
// DefaultConfig.
var ErrNoConfig = errors.New("no config file")

// ConfigVersion is the only config file version this build understands.
const ConfigVersion = 1

// Config is onair's configuration file. Fields hold what the file says
// (durations and colours as text); Validate checks them and reports every
// problem with its field path. Zero values mean "use the default".
type Config struct {
	// Version must be 1.
	Version int `yaml:"version"`
	// Graph is where presence comes from.
	Graph GraphConfig `yaml:"graph"`
	// Mapping turns presence into a signal.
	Mapping MappingConfig `yaml:"mapping"`
	// Schedule limits the signal to working hours.
	Schedule ScheduleConfig `yaml:"schedule"`
	// Lights selects and tunes USB lights. Empty: every detected light
	// follows the signed-in user.
	Lights []LightConfig `yaml:"lights"`
	// MQTT publishes presence to a broker. Off unless Broker is set.
	MQTT MQTTConfig `yaml:"mqtt"`
	// Signs are door signs and WLED strips reached over MQTT.
	Signs []SignConfig `yaml:"signs"`
	// Calendar reads watched users' free/busy (graph_auth.go).
	Calendar CalendarConfig `yaml:"calendar"`
	// Web serves a door sign, a presence board and a read-only JSON/SSE
	// API. Off unless web.enabled is true.
	Web web.Options `yaml:"web"`
	// Webhooks are HTTP calls made on each change of a user's signal.
	Webhooks []webhook.Options `yaml:"webhooks"`
	// Log sets the log level and format.
	Log LogConfig `yaml:"log"`

	// lines maps a field path ("mapping.rules[2].color") to its line in
	// the file, so that errors can point at it.
	lines map[string]position
	// path is the file the config came from, "" for the built-in default.
	path string
	// decodeErrs are unknown keys and wrongly typed values, reported by
	// Validate.
	decodeErrs []error
}

// GraphConfig says how to sign in and poll Microsoft Graph.
type GraphConfig struct {
	// ClientID is the Application (client) ID of an Entra app registration
	// with public client flows enabled. Required to sign in.
	ClientID string `yaml:"client_id"`
	// Tenant is the directory: "organizations" (default), "common", a tenant
	// ID or a domain.
	Tenant string `yaml:"tenant"`
	// Authority overrides the sign-in authority URL, for national clouds.
	// Default: https://login.microsoftonline.com/<tenant>.
	Authority string `yaml:"authority"`
	// BaseURL is the Graph endpoint. Default https://graph.microsoft.com/v1.0.
	BaseURL string `yaml:"base_url"`
	// Interval is how often presence is polled. Default 10s, minimum 2s.
	Interval string `yaml:"interval"`
	// Users are colleagues to watch besides the signed-in user ("me"),
	// by UPN or object ID. Needs Presence.Read.All.
	Users []UserConfig `yaml:"users"`
	// Auth selects delegated sign-in (default) or app-only (graph_auth.go).
	Auth GraphAuthConfig `yaml:"auth"`
	// Groups are Entra groups (object ID or display name) whose members
	// are watched too; app-only mode.
	Groups []string `yaml:"groups"`
}

// UserConfig is one watched user: a bare UPN or object ID, or a mapping
// with id and name.
type UserConfig struct {
	// ID is the UPN or object ID, or "me".
	ID string `yaml:"id"`
	// Name is a display name for topics and signs. Default: ID.
	Name string `yaml:"name"`
}

// UnmarshalYAML accepts "jane@contoso.com" as well as {id: …, name: …}.
func (u *UserConfig) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		u.ID = n.Value
		return nil
	}
	type plain UserConfig
	return n.Decode((*plain)(u))
}

// MappingConfig holds the rules.
type MappingConfig struct {
	// Rules are tried in order before the built-in defaults; the first
	// that matches wins.
	Rules []RuleConfig `yaml:"rules"`
	// Defaults appends the built-in rules after Rules. Default true; set
	// false to use only your own rules.
	Defaults *bool `yaml:"defaults"`
}

// RuleConfig is one mapping rule as written in the file.
type RuleConfig struct {
	// Name shows in `onair status` and logs. Default: rule<N>.
	Name string `yaml:"name"`
	// User or Users restrict the rule to watched users.
	User  stringList `yaml:"user"`
	Users stringList `yaml:"users"`
	// State matches daemon states: login-required, stale, off-hours, error.
	State stringList `yaml:"state"`
	// Availability and Activity match Graph values, any case.
	Availability stringList `yaml:"availability"`
	Activity     stringList `yaml:"activity"`
	// Color is a name, #RGB, #RRGGBB or rgb(r,g,b). Default off (black).
	Color string `yaml:"color"`
	// Brightness is 0–100 percent. Default 100.
	Brightness *int `yaml:"brightness"`
	// Effect is solid (default), blink, pulse, off or keep.
	Effect string `yaml:"effect"`
	// Label is the door-sign text. Default: the presence in words.
	Label string `yaml:"label"`
	// NextMeetingWithin matches when the user's next calendar busy block
	// starts within this duration ("2m"); needs calendar.enabled.
	NextMeetingWithin string `yaml:"next_meeting_within"`
}

// ScheduleConfig limits the signal to working hours. Empty: always on.
type ScheduleConfig struct {
	// Days are the working days: names (mon, tuesday), or ranges (mon-fri).
	// Default mon-fri when From/To are set.
	Days stringList `yaml:"days"`
	// From and To are the working hours, "08:30" and "17:30". To may be
	// earlier than From for a shift past midnight.
	From string `yaml:"from"`
	To   string `yaml:"to"`
	// TimeZone is an IANA name ("Europe/Berlin"). Default: local time.
	TimeZone string `yaml:"time_zone"`
}

// LightConfig selects USB lights and tunes them. Every non-empty match field
// must match; an entry with none matches every light.
type LightConfig struct {
	// Name identifies the entry in status output.
	Name string `yaml:"name"`
	// Vendor, Model, Serial and Path match a detected light (case-insensitive
	// substrings for vendor and model, exact for serial and path).
	Vendor string `yaml:"vendor"`
	Model  string `yaml:"model"`
	Serial string `yaml:"serial"`
	Path   string `yaml:"path"`
	// User is whose presence the light shows. Default "me".
	User string `yaml:"user"`
	// Brightness scales every signal, 0–100 percent. Default 100.
	Brightness *int `yaml:"brightness"`
	// Rules replace the global mapping for this light (the built-in
	// defaults still follow unless mapping.defaults is false).
	Rules []RuleConfig `yaml:"rules"`
	// ExitAction is what the light does when onair stops: off (default) or
	// keep.
	ExitAction string `yaml:"exit_action"`
	// Disabled ignores matching lights.
	Disabled bool `yaml:"disabled"`
}

// MQTTConfig connects to an MQTT broker. Off unless Broker is set.
type MQTTConfig struct {
	// Broker is tcp://, ssl://, ws:// or wss:// host[:port].
	Broker string `yaml:"broker"`
	// ClientID defaults to onair-<node_id>, stable across restarts.
	ClientID string `yaml:"client_id"`
	Username string `yaml:"username"`
	// Password, or PasswordFile (a file holding it), or PasswordEnv (the
	// name of an environment variable holding it). At most one.
	Password     secret.Secret `yaml:"password"`
	PasswordFile string        `yaml:"password_file"`
	PasswordEnv  string        `yaml:"password_env"`
	// CAFile, CertFile, KeyFile configure TLS for ssl:// and wss://.
	CAFile   string `yaml:"ca_file"`
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// InsecureSkipVerify turns off certificate checks (logged as a warning).
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
	// TopicPrefix defaults to "onair".
	TopicPrefix string `yaml:"topic_prefix"`
	// NodeID defaults to the host name, sanitised, plus a random suffix
	// saved in the state directory, so that two machines with the same
	// host name do not share a client ID.
	NodeID string `yaml:"node_id"`
	// DiscoveryPrefix defaults to "homeassistant".
	DiscoveryPrefix string `yaml:"discovery_prefix"`
	// Discovery is device (default), components (older Home Assistant) or off.
	Discovery string `yaml:"discovery"`
	// PlainTopics also publishes each user's availability, activity, colour
	// and label as plain topics, besides the JSON state.
	PlainTopics bool `yaml:"plain_topics"`
}

// SignConfig is a door sign or WLED strip that follows one user.
type SignConfig struct {
	// Name identifies the sign.
	Name string `yaml:"name"`
	// User is whose presence the sign shows. Default "me".
	User string `yaml:"user"`
	// Topic is where the sign listens.
	Topic string `yaml:"topic"`
	// Format is json (default), text (label only) or wled.
	Format string `yaml:"format"`
	// Exit is what the sign shows when onair stops cleanly: "keep" (the
	// last signal stays), or a colour, effect, brightness and label.
	// Default: dark, labelled "Offline".
	Exit SignExitConfig `yaml:"exit"`
}

// SignExitConfig is a sign's exit state: `exit: keep`, `exit: off`, or
// `exit: {color: off, label: Offline}`.
type SignExitConfig struct {
	Keep       bool   `yaml:"-"`
	Set        bool   `yaml:"-"` // a mapping was given
	Color      string `yaml:"color"`
	Effect     string `yaml:"effect"`
	Brightness *int   `yaml:"brightness"`
	Label      string `yaml:"label"`
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (e *SignExitConfig) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		switch strings.ToLower(strings.TrimSpace(n.Value)) {
		case "keep":
			*e = SignExitConfig{Keep: true}
			return nil
		case "", "off", "default":
			*e = SignExitConfig{}
			return nil
		}
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: exit %q: want keep, off, or {color: …, label: …}", n.Line, n.Value)}}
	case yaml.MappingNode:
		// node.Decode does not check for unknown keys; do it here.
		for i := 0; i+1 < len(n.Content); i += 2 {
			switch k := n.Content[i]; k.Value {
			case "color", "effect", "brightness", "label":
			default:
				return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: field %s not found in exit: want color, effect, brightness or label", k.Line, k.Value)}}
			}
		}
		type plain SignExitConfig
		var v plain
		if err := n.Decode(&v); err != nil {
			return err
		}
		*e = SignExitConfig(v)
		e.Set = true
		return nil
	}
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: exit: want keep, off, or {color: …, label: …}, got a %s", n.Line, kindName(n.Kind))}}
}

// LogConfig sets logging.
type LogConfig struct {
	// Level is debug, info (default), warn or error.
	Level string `yaml:"level"`
	// Format is text, json or auto (default: text on a terminal, JSON
	// otherwise).
	Format string `yaml:"format"`
}

// stringList is a YAML scalar or a sequence of scalars.
type stringList []string

// UnmarshalYAML implements yaml.Unmarshaler.
func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Value != "" {
			*l = stringList{n.Value}
		}
		return nil
	case yaml.SequenceNode:
		var out []string
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				// A TypeError lets decoding go on, so that every problem
				// in the file is reported at once.
				return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: want a list of words, got a nested %s", c.Line, kindName(c.Kind))}}
			}
			out = append(out, c.Value)
		}
		*l = out
		return nil
	}
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: want a word or a list of words, got a %s", n.Line, kindName(n.Kind))}}
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	}
	return "value"
}

// DefaultConfig is the configuration used when there is no config file.
func DefaultConfig() *Config { return &Config{Version: ConfigVersion} }

// Load reads and decodes the config file at path. A missing file returns an
// error wrapping ErrNoConfig; malformed YAML is an error naming the file and
// line. Unknown keys and values of the wrong type do not stop decoding: they
// are kept and reported by Validate, with every other problem, so that one
// `onair config check` names them all.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", path, ErrNoConfig)
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s:%w", path, err)
	}
	c.path = path
	return c, nil
}

// Read reads a config from r (`onair config check -` reads stdin) and
// decodes it as Load does; name stands for the file in messages.
func Read(r io.Reader, name string) (*Config, error) {
	b, err := io.ReadAll(io.LimitReader(r, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("read config from %s: %w", name, err)
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s:%w", name, err)
	}
	c.path = name
	return c, nil
}

// Parse decodes a config file's contents. Errors (malformed YAML) begin with
// a line number ("12: did not find expected key"); Load prefixes them with
// the file name.
//
// The YAML library does the checking: the decoder's KnownFields reports
// unknown keys and its TypeError every value of the wrong type, each at its
// line, and decoding goes on past them. The node tree gives the line of
// every field path, which turns a line into the path the problem is at.
func Parse(b []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, syntaxError(err)
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, fmt.Errorf("1: the file is empty; start it with \"version: 1\" (see onair config example)")
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%d: want a mapping of keys (version, graph, mapping, …), got a %s", doc.Line, kindName(doc.Kind))
	}
	c := DefaultConfig()
	c.Version = 0
	c.lines = map[string]position{}
	positions(doc, "", c.lines, map[*yaml.Node]bool{})
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, syntaxError(err)
		}
		for _, msg := range te.Errors {
			c.decodeErrs = append(c.decodeErrs, c.decodeError(msg))
		}
	}
	return c, nil
}

// yaml.v3 words a problem as "line N: message": a syntax error after a
// "yaml: " prefix, each entry of TypeError.Errors as it is.
var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// syntaxError rewrites yaml's "yaml: line 3: did not find…" as
// "3: did not find…", so that Load's errors read "file:3: …".
func syntaxError(err error) error {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Errorf("%s: %s", m[1], syntaxHint(m[2]))
	}
	return fmt.Errorf(" %s", strings.TrimPrefix(err.Error(), "yaml: "))
}

// syntaxHint says in plain words what the YAML library's messages about
// indentation mean. A tab is the usual cause of "found character that
// cannot start any token" (YAML 1.2, 6.1: tabs are not indentation).
func syntaxHint(msg string) string {
	switch {
	case strings.Contains(msg, "found a tab character") || strings.Contains(msg, "found character that cannot start any token"):
		return "a tab is used for indentation; YAML needs spaces (" + msg + ")"
	case strings.Contains(msg, "did not find expected key"),
		strings.Contains(msg, "mapping values are not allowed in this context"),
		strings.Contains(msg, "did not find expected '-' indicator"):
		return msg + ": check the indentation near this line (spaces only; keys at one level start in the same column)"
	}
	return msg
}

// decodeError turns one of the decoder's problems into a FieldError at the
// field path on its line.
func (c *Config) decodeError(msg string) error {
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		return &FieldError{Path: "(file)", Err: errors.New(msg)}
	}
	line, _ := strconv.Atoi(m[1])
	text := m[2]
	var key string
	if n, _ := fmt.Sscanf(text, "field %s not found in type", &key); n == 1 {
		return &FieldError{Path: c.pathAt(line, key, ""), Line: line, Err: fmt.Errorf("unknown key %q: `onair config example` shows every key and where it goes", key)}
	}
	text = strings.Replace(text, "cannot unmarshal", "wrong type:", 1)
	return &FieldError{Path: c.pathAt(line, "", text), Line: line, Err: errors.New(text)}
}

// pathAt returns the field path at line: the one ending in key, when
// given; else, of the paths on that line, the deepest whose value is of
// the kind the message names (a mapping or list where a word belongs, a
// word where a number belongs), since a line can hold a list item, its
// first key and a flow list. "(file)" if none.
func (c *Config) pathAt(line int, key, msg string) string {
	kind := yaml.ScalarNode
	switch {
	case strings.Contains(msg, "!!map") || strings.Contains(msg, " mapping"):
		kind = yaml.MappingNode
	case strings.Contains(msg, "!!seq") || strings.Contains(msg, "got a list") || strings.Contains(msg, "nested list"):
		kind = yaml.SequenceNode
	}
	best, bestKind := "", false
	for p, pos := range c.lines {
		if pos.line != line || (key != "" && p != key && !strings.HasSuffix(p, "."+key)) {
			continue
		}
		k := pos.kind == kind
		switch {
		case best == "", k && !bestKind, k == bestKind && (len(p) > len(best) || (len(p) == len(best) && p < best)):
			best, bestKind = p, k
		}
	}
	if best == "" {
		return "(file)"
	}
	return best
}

// position is where a field path is in the file, and what its value is.
type position struct {
	line int
	kind yaml.Kind
}

// valueKind is the kind of n, through an alias.
func valueKind(n *yaml.Node) yaml.Kind {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias.Kind
	}
	return n.Kind
}

// positions records the line of every field path under n ("graph.users[2]",
// "mapping.rules[0].color"), known or not. Merge keys (<<) add their
// mapping's keys at the same path; seen stops an alias that contains itself.
func positions(n *yaml.Node, path string, lines map[string]position, seen map[*yaml.Node]bool) {
	if seen[n] {
		return
	}
	seen[n] = true
	defer delete(seen, n)
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias != nil {
			positions(n.Alias, path, lines, seen)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			lines[p] = position{c.Line, valueKind(c)}
			positions(c, p, lines, seen)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" {
				positions(v, path, lines, seen)
				continue
			}
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			lines[p] = position{k.Line, valueKind(v)}
			positions(v, p, lines, seen)
		}
	}
}

// Path returns the file the config was loaded from, "" for the default.
func (c *Config) Path() string { return c.path }

// Line returns the line of field path in the config file, 0 if unknown.
// For a path that is not in the file (a missing required field), it returns
// the line of the nearest parent that is.
func (c *Config) Line(path string) int {
	for path != "" {
		if pos, ok := c.lines[path]; ok {
			return pos.line
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

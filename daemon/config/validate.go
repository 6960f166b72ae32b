package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/onair-dev/onair/daemon/output/web"
	"github.com/onair-dev/onair/daemon/output/webhook"
	"github.com/onair-dev/onair/daemon/secret"
	"github.com/onair-dev/onair/mapping"
)

// Defaults.
const (
	DefaultInterval = 10 * time.Second
	MinInterval     = 2 * time.Second
	DefaultTenant   = "organizations"
	DefaultGraphURL = "https://graph.microsoft.com/v1.0"
	// Me is the key of the signed-in user.
	Me = "me"
)

// FieldError is one problem in a config file, at a field path such as
// "mapping.rules[2].color".
type FieldError struct {
	Path string
	// Line is the line in the file, 0 when unknown.
	Line int
	Err  error
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// Settings is a validated Config in the types the daemon runs on.
type Settings struct {
	ClientID, Tenant, Authority, GraphURL string
	Interval                              time.Duration
	// Users are the watched users; Users[0] is the signed-in user, Me.
	Users    []User
	Rules    mapping.Rules
	Schedule *Schedule // nil: always working hours
	Lights   []Light
	MQTT     *MQTT // nil: no MQTT
	Signs    []Sign
	// Web is the web output's options, nil when web.enabled is false.
	Web *web.Options
	// Webhooks are the validated webhooks: entries.
	Webhooks  []webhook.Options
	LogLevel  slog.Level
	LogFormat string
	// App is set in app-only mode (graph.auth.mode: app); Users then has
	// no Me. Groups and Calendar: see graph_auth.go.
	App      *AppAuth
	Groups   []string
	Calendar Calendar
	// Warnings are accepted settings worth a word ("file:line: …").
	Warnings []string
}

// User is one watched user.
type User struct {
	Key  string // "me", or the UPN/object ID as configured
	Name string // display name for topics and signs
}

// Light is a validated lights: entry.
type Light struct {
	Name                        string
	Vendor, Model, Serial, Path string
	User                        string
	Brightness                  int
	Rules                       mapping.Rules // nil: the global rules
	ExitOff                     bool
	Disabled                    bool
}

// MQTT is the validated mqtt section. Secret holds mqtt.password as
// written; Config.ResolveSecrets fills it from password_file or
// password_env, for the commands that connect.
type MQTT struct {
	MQTTConfig
	Secret secret.Secret
}

// Sign is a validated signs: entry.
type Sign struct {
	Name, User, Topic, Format string
	// Exit is the signal shown after a clean stop; nil is the default
	// (dark, "Offline"). ExitKeep leaves the last signal.
	Exit     *mapping.Signal
	ExitKeep bool
}

// Validate checks every field and returns all problems at once, joined,
// each a *FieldError naming its field path.
func (c *Config) Validate() error {
	_, err := c.Compile()
	return err
}

// Warnings are problems that do not stop onair (it runs and shows
// login-required) but that the user should fix: a graph.client_id that is
// a placeholder or not a GUID. Each is a *FieldError with its line.
func (c *Config) Warnings() []error {
	id := strings.TrimSpace(c.Graph.ClientID)
	if id == "" {
		return nil
	}
	path := "graph.client_id"
	fix := `put your app registration's Application (client) ID here (README: "Sign in")`
	var err error
	switch {
	case placeholderClientID(id):
		err = fmt.Errorf("%q is a placeholder, not your app: %s", id, fix)
	case !isGUID(id):
		err = fmt.Errorf("%q is not a GUID (like 3f2a…-…-…-…-…, 36 characters): %s", clipText(id, 40), fix)
	default:
		return nil
	}
	return []error{&FieldError{Path: path, Line: c.Line(path), Err: err}}
}

// placeholderClientID reports whether id is an example rather than an
// app's ID: the all-zero GUID (the example config's), the README's sample,
// or words such as "your-client-id".
func placeholderClientID(id string) bool {
	l := strings.ToLower(id)
	if strings.Trim(l, "0-") == "" || l == "01234567-89ab-cdef-0123-456789abcdef" {
		return true
	}
	for _, w := range []string{"your", "client", "xxxx", "<", "todo", "changeme", "example"} {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// isGUID reports whether s is a GUID in its usual text form, 8-4-4-4-12
// hex digits, as Entra shows an Application (client) ID.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F') {
				return false
			}
		}
	}
	return true
}

func clipText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

type problems struct {
	c    *Config
	errs []error
}

func (p *problems) add(path string, format string, args ...any) {
	p.errs = append(p.errs, &FieldError{Path: path, Line: p.c.Line(path), Err: fmt.Errorf(format, args...)})
}

// joined splits an errors.Join into its errors, so each gets its own line.
func joined(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// Compile validates the config (see Validate) and returns it in the types
// the daemon runs on.
func (c *Config) Compile() (*Settings, error) {
	p := &problems{c: c, errs: append([]error(nil), c.decodeErrs...)}
	s := &Settings{
		ClientID:  strings.TrimSpace(c.Graph.ClientID),
		Tenant:    orDefault(c.Graph.Tenant, DefaultTenant),
		Authority: strings.TrimRight(c.Graph.Authority, "/"),
		GraphURL:  strings.TrimRight(orDefault(c.Graph.BaseURL, DefaultGraphURL), "/"),
		Interval:  DefaultInterval,
	}
	switch {
	case c.hasDecodeError("version"):
	case c.lines != nil && c.Line("version") == 0:
		p.add("version", "missing: start the file with \"version: %d\"", ConfigVersion)
	case c.Version != ConfigVersion:
		p.add("version", "unsupported version %d: this onair reads version: %d", c.Version, ConfigVersion)
	}
	if s.Authority != "" {
		if u, err := url.Parse(s.Authority); err != nil || u.Scheme != "https" || u.Host == "" {
			p.add("graph.authority", "invalid authority %q: want an https URL such as https://login.microsoftonline.us/<tenant>", c.Graph.Authority)
		}
	}
	if u, err := url.Parse(s.GraphURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		p.add("graph.base_url", "invalid URL %q: want https://graph.microsoft.com/v1.0 or a national cloud's Graph URL", c.Graph.BaseURL)
	}
	if c.Graph.Interval != "" {
		d, err := time.ParseDuration(c.Graph.Interval)
		switch {
		case err != nil:
			p.add("graph.interval", "invalid duration %q: use a number with a unit, such as 10s or 1m", c.Graph.Interval)
		case d < MinInterval:
			p.add("graph.interval", "%s is too short: the minimum is %s (Graph throttles faster polling)", d, MinInterval)
		default:
			s.Interval = d
		}
	}
	compileOffice(p, c, s)
	seen := map[string]bool{}
	if s.App == nil {
		s.Users = []User{{Key: Me, Name: Me}}
		seen[Me] = true
	} else if len(c.Graph.Groups) > 0 {
		seen[groupMember] = true
	}
	for i, u := range c.Graph.Users {
		path := fmt.Sprintf("graph.users[%d]", i)
		id := strings.TrimSpace(u.ID)
		switch {
		case s.App != nil && strings.EqualFold(id, Me):
			p.add(path, "app mode has no signed-in user: name every watched user by UPN or object ID")
			continue
		case id == "":
			p.add(path, "empty user: give a UPN (jane@contoso.com) or an object ID")
			continue
		case strings.ContainsAny(id, " /?#"):
			p.add(path, "invalid user %q: give a UPN (jane@contoso.com) or an object ID", id)
			continue
		case seen[strings.ToLower(id)]:
			p.add(path, "user %q is listed twice", id)
			continue
		}
		seen[strings.ToLower(id)] = true
		s.Users = append(s.Users, User{Key: id, Name: orDefault(u.Name, id)})
	}

	if s.App != nil && len(s.Users) == 0 && len(s.Groups) == 0 {
		p.add("graph.users", "app mode watches named people: list them in graph.users, or groups in graph.groups")
	}
	useDefaults := c.Mapping.Defaults == nil || *c.Mapping.Defaults
	s.Rules = compileRules(p, "mapping.rules", c.Mapping.Rules, useDefaults, seen)
	s.Schedule = compileSchedule(p, c.Schedule)

	for i, l := range c.Lights {
		path := fmt.Sprintf("lights[%d]", i)
		ls := Light{
			Name: orDefault(l.Name, fmt.Sprintf("light%d", i+1)), Vendor: l.Vendor, Model: l.Model,
			Serial: l.Serial, Path: l.Path, User: orDefault(l.User, Me), Brightness: 100,
			ExitOff: true, Disabled: l.Disabled,
		}
		if l.Brightness != nil {
			ls.Brightness = checkPercent(p, path+".brightness", *l.Brightness)
		}
		switch strings.ToLower(l.ExitAction) {
		case "", "off":
		case "keep":
			ls.ExitOff = false
		default:
			p.add(path+".exit_action", "invalid exit action %q: want off or keep", l.ExitAction)
		}
		if len(l.Rules) > 0 {
			ls.Rules = compileRules(p, path+".rules", l.Rules, useDefaults, seen)
		}
		checkUser(p, path+".user", ls.User, seen)
		s.Lights = append(s.Lights, ls)
	}

	if c.MQTT.Broker != "" {
		s.MQTT = compileMQTT(p, c.MQTT)
	} else if c.MQTT != (MQTTConfig{}) {
		p.add("mqtt.broker", "missing: set the broker (tcp://host:1883) or remove the mqtt section")
	}
	for i, sg := range c.Signs {
		path := fmt.Sprintf("signs[%d]", i)
		ss := Sign{Name: orDefault(sg.Name, fmt.Sprintf("sign%d", i+1)), User: orDefault(sg.User, Me), Topic: sg.Topic, Format: strings.ToLower(orDefault(sg.Format, "json"))}
		if ss.Topic == "" {
			p.add(path+".topic", "missing: the MQTT topic the sign listens on")
		} else if strings.ContainsAny(ss.Topic, "+#") {
			p.add(path+".topic", "invalid topic %q: wildcards + and # are not allowed when publishing", ss.Topic)
		}
		switch ss.Format {
		case "json", "text", "wled":
		default:
			p.add(path+".format", "invalid format %q: want json, text or wled", sg.Format)
		}
		if c.MQTT.Broker == "" {
			p.add(path, "signs are published over MQTT: set mqtt.broker")
		}
		checkUser(p, path+".user", ss.User, seen)
		ss.ExitKeep = sg.Exit.Keep
		if sg.Exit.Set {
			ss.Exit = compileExit(p, path+".exit", sg.Exit)
		}
		s.Signs = append(s.Signs, ss)
	}

	if c.Web.Enabled {
		for _, e := range joined(c.Web.Validate()) {
			p.add("web", "%v", e)
		}
		w := c.Web
		s.Web = &w
	}
	names := map[string]bool{}
	for i, h := range c.Webhooks {
		path := fmt.Sprintf("webhooks[%d]", i)
		for _, e := range joined(h.Validate()) {
			p.add(path, "%v", e)
		}
		if h.Name != "" && names[h.Name] {
			p.add(path+".name", "duplicate name %q: each webhook needs its own name (it names the webhook in status and logs)", h.Name)
		}
		names[h.Name] = true
		for j, u := range h.Users {
			checkUser(p, fmt.Sprintf("%s.users[%d]", path, j), u, seen)
		}
		s.Webhooks = append(s.Webhooks, h)
	}

	if lvl, err := ParseLevel(c.Log.Level); err != nil {
		p.add("log.level", "%v", err)
	} else {
		s.LogLevel = lvl
	}
	switch s.LogFormat = strings.ToLower(orDefault(c.Log.Format, "auto")); s.LogFormat {
	case "auto", "text", "json":
	default:
		p.add("log.format", "invalid format %q: want auto, text or json", c.Log.Format)
	}
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	s.Warnings = officeWarnings(c, s)
	return s, nil
}

func (c *Config) hasDecodeError(path string) bool {
	for _, e := range c.decodeErrs {
		var fe *FieldError
		if errors.As(e, &fe) && fe.Path == path {
			return true
		}
	}
	return false
}

// compileExit reads a sign's exit state as a rule's signal is read: a
// colour (default off), brightness 0–100 (default 100), an effect (default
// solid; off for the colour off) and a label (default "Offline").
func compileExit(p *problems, path string, e SignExitConfig) *mapping.Signal {
	sig := mapping.Signal{Brightness: 100, Effect: mapping.Solid, Label: orDefault(e.Label, "Offline"), Rule: "exit"}
	if strings.TrimSpace(e.Color) != "" {
		c, err := mapping.ParseColor(e.Color)
		if err != nil {
			p.add(path+".color", "%v", err)
		}
		sig.Color = c
	}
	if sig.Color == (mapping.Color{}) {
		sig.Effect = mapping.Off
	}
	if strings.TrimSpace(e.Effect) != "" {
		eff, err := mapping.ParseEffect(e.Effect)
		if err != nil {
			p.add(path+".effect", "%v", err)
		} else if eff == mapping.Keep {
			p.add(path+".effect", "keep is not an exit effect: write `exit: keep` to leave the sign as it was")
		} else {
			sig.Effect = eff
		}
	}
	if e.Brightness != nil {
		sig.Brightness = checkPercent(p, path+".brightness", *e.Brightness)
	}
	return &sig
}

// groupMember in the known-users set says graph.groups adds users only
// known at run time: any named user may be one of them.
const groupMember = "\x00group member"

func checkUser(p *problems, path, user string, known map[string]bool) {
	switch {
	case known[strings.ToLower(user)]:
	case strings.EqualFold(user, Me) && !known[Me]:
		p.add(path, "app mode has no signed-in user (\"me\", the default): name the user, a UPN from graph.users or a member of graph.groups")
	case known[groupMember]:
		// Possibly a group member, resolved when the daemon starts.
	default:
		p.add(path, "user %q is not watched: add it to graph.users", user)
	}
}

func checkPercent(p *problems, path string, v int) int {
	if v < 0 || v > 100 {
		p.add(path, "invalid brightness %d: want 0 to 100 (percent)", v)
		return 100
	}
	return v
}

func compileRules(p *problems, path string, in []RuleConfig, defaults bool, known map[string]bool) mapping.Rules {
	var out mapping.Rules
	for i, rc := range in {
		rp := fmt.Sprintf("%s[%d]", path, i)
		r := mapping.Rule{Name: orDefault(rc.Name, fmt.Sprintf("rule%d", i+1))}
		r.Users = append(append(r.Users, rc.User...), rc.Users...)
		for _, u := range r.Users {
			// A misspelt user would make a rule that silently never matches.
			checkUser(p, rp+".user", u, known)
		}
		for _, st := range rc.State {
			v, err := mapping.ParseState(st)
			if err != nil {
				p.add(rp+".state", "%v", err)
				continue
			}
			r.States = append(r.States, v)
		}
		r.Availability = parseValues(p, rp, "availability", rc.Availability, mapping.ParseAvailability, mapping.Availabilities)
		r.Activity = parseValues(p, rp, "activity", rc.Activity, mapping.ParseActivity, mapping.Activities)
		if rc.NextMeetingWithin != "" {
			d, err := time.ParseDuration(rc.NextMeetingWithin)
			switch {
			case err != nil || d <= 0:
				p.add(rp+".next_meeting_within", "invalid duration %q: use a positive number with a unit, such as 2m", rc.NextMeetingWithin)
			case !p.c.Calendar.Enabled:
				p.add(rp+".next_meeting_within", "needs calendar.enabled: true (the next meeting comes from the calendar)")
			default:
				r.NextMeetingWithin = d
			}
		}
		sig := mapping.Signal{Brightness: 100, Label: rc.Label}
		if rc.Color != "" {
			c, err := mapping.ParseColor(rc.Color)
			if err != nil {
				p.add(rp+".color", "%v", err)
			}
			sig.Color = c
		}
		if rc.Brightness != nil {
			sig.Brightness = checkPercent(p, rp+".brightness", *rc.Brightness)
		}
		e, err := mapping.ParseEffect(rc.Effect)
		if err != nil {
			p.add(rp+".effect", "%v", err)
		}
		sig.Effect = e
		if rc.Color == "" && e != mapping.Off && e != mapping.Keep {
			p.add(rp+".color", "missing: give a colour, or effect: off")
		}
		r.Signal = sig
		out = append(out, r)
	}
	if defaults {
		out = append(out, mapping.DefaultRules()...)
	}
	return out
}

// parseValues parses a rule's availability or activity list, reporting
// each unknown value with the known ones.
func parseValues[T ~string](p *problems, rulePath, what string, in []string, parse func(string) (T, bool), known []T) []T {
	var out []T
	for _, a := range in {
		v, ok := parse(a)
		if !ok {
			names := make([]string, len(known))
			for i, k := range known {
				names[i] = string(k)
			}
			p.add(rulePath+"."+what, "unknown %s %q (known: %s)", what, a, strings.Join(names, ", "))
			continue
		}
		out = append(out, v)
	}
	return out
}

func compileMQTT(p *problems, m MQTTConfig) *MQTT {
	ms := &MQTT{MQTTConfig: m}
	u, err := url.Parse(m.Broker)
	if err != nil || u.Host == "" {
		p.add("mqtt.broker", "invalid broker %q: want scheme://host[:port], e.g. tcp://homeassistant.local:1883", m.Broker)
	} else {
		switch u.Scheme {
		case "tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss":
		default:
			p.add("mqtt.broker", "invalid scheme %q: want tcp, ssl, ws or wss", u.Scheme)
		}
		if u.User != nil {
			// The MQTT output refuses this too: a password in a URL ends up
			// in logs and status lines.
			p.add("mqtt.broker", "credentials in the broker URL: put the user in mqtt.username and the password in mqtt.password_env (or password_file), and give the broker as %s://%s", u.Scheme, u.Host)
		}
	}
	n := 0
	for _, v := range []string{m.Password.Reveal(), m.PasswordFile, m.PasswordEnv} {
		if v != "" {
			n++
		}
	}
	if n > 1 {
		p.add("mqtt.password", "give only one of password, password_file and password_env")
	}
	// The password itself is read by ResolveSecrets, only by the commands
	// that connect to the broker: `onair login` must work with
	// mqtt.password_env unset.
	ms.Secret = m.Password
	for _, f := range []struct{ path, file string }{{"mqtt.ca_file", m.CAFile}, {"mqtt.cert_file", m.CertFile}, {"mqtt.key_file", m.KeyFile}} {
		if f.file == "" {
			continue
		}
		if _, err := os.Stat(f.file); err != nil {
			p.add(f.path, "cannot read %s: %v", f.file, err)
		}
	}
	if (m.CertFile == "") != (m.KeyFile == "") {
		p.add("mqtt.cert_file", "cert_file and key_file go together: set both or neither")
	}
	switch strings.ToLower(m.Discovery) {
	case "", "device", "components", "off":
	default:
		p.add("mqtt.discovery", "invalid discovery %q: want device, components or off", m.Discovery)
	}
	if strings.ContainsAny(m.TopicPrefix, "+#") {
		p.add("mqtt.topic_prefix", "invalid prefix %q: wildcards + and # are not allowed", m.TopicPrefix)
	}
	return ms
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return strings.TrimSpace(s)
}

// ParseLevel parses a log level, debug, info, warn or error in any case
// (slog's own names, through slog.Level.UnmarshalText, so "warn+2" works
// too); "" is info.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if strings.TrimSpace(s) == "" {
		return slog.LevelInfo, nil
	}
	if err := l.UnmarshalText([]byte(strings.TrimSpace(s))); err != nil {
		return 0, fmt.Errorf("invalid level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/onair-dev/onair/mapping"
)

func TestLoadReportsEveryProblemWithLineAndPath(t *testing.T) {
	c, err := Load("testdata/bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	var fes []*FieldError
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("problem %v is not a *FieldError", e)
		}
		fes = append(fes, fe)
	}
	want := []struct {
		path string
		line int
		msg  string
	}{
		{"graph.colour", 4, `unknown key "colour"`},
		{"graph.interval", 3, `invalid duration "10 seconds"`},
		{"mapping.rules[2].color", 15, `invalid colour "#ggg"`},
	}
	if len(fes) != len(want) {
		t.Fatalf("got %d problems, want %d: %v", len(fes), len(want), err)
	}
	for i, w := range want {
		if fes[i].Path != w.path || fes[i].Line != w.line || !strings.Contains(fes[i].Error(), w.msg) {
			t.Errorf("problem %d = %s (line %d), want %s at line %d containing %q", i, fes[i], fes[i].Line, w.path, w.line, w.msg)
		}
	}
}

func TestLoadMissingIsErrNoConfig(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, ErrNoConfig) {
		t.Fatalf("Load(missing) = %v, want ErrNoConfig", err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", "the file is empty"},
		{"not a mapping", "- a\n- b\n", "want a mapping of keys"},
		{"bad yaml", "version: 1\ngraph: [\n", "2:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // substrings of problems, in order; none: valid
	}{
		{"minimal", "version: 1\n", nil},
		{"wrong version", "version: 2\n", []string{"version: unsupported version 2"}},
		{"interval too short", "version: 1\ngraph:\n  interval: 1s\n", []string{"graph.interval: 1s is too short"}},
		{"bad authority", "version: 1\ngraph:\n  authority: http://login.example\n", []string{"graph.authority: invalid authority"}},
		{"users", "version: 1\ngraph:\n  users: [a@b.c, {id: a@b.c}, '', 'x y']\n", []string{"graph.users[1]: user \"a@b.c\" is listed twice", "graph.users[2]: empty user", "graph.users[3]: invalid user"}},
		{"rule problems", "version: 1\nmapping:\n  rules:\n    - availability: Sleepy\n      activity: Dreaming\n      state: tired\n      brightness: 101\n      effect: strobe\n      color: red\n",
			[]string{"rules[0].state: invalid state", "rules[0].availability: unknown availability \"Sleepy\"", "rules[0].activity: unknown activity", "rules[0].brightness: invalid brightness 101", "rules[0].effect: invalid effect"}},
		{"rule for an unwatched user", "version: 1\ngraph:\n  users: [lee@contoso.com]\nmapping:\n  rules:\n    - user: [lee@contoso.com, le@contoso.com]\n      color: red\n", []string{`mapping.rules[0].user: user "le@contoso.com" is not watched`}},
		{"rule without colour", "version: 1\nmapping:\n  rules:\n    - availability: Busy\n", []string{"rules[0].color: missing"}},
		{"schedule", "version: 1\nschedule:\n  days: [mon-fri, funday]\n  from: '25:00'\n  to: '17:00'\n  time_zone: Mars/Olympus\n",
			[]string{"schedule.from: invalid time", "schedule.days: invalid day \"funday\"", "schedule.time_zone: unknown time zone"}},
		{"light", "version: 1\nlights:\n  - exit_action: explode\n    user: nobody@x.y\n    brightness: -1\n", []string{"lights[0].brightness", "lights[0].exit_action", "lights[0].user: user \"nobody@x.y\" is not watched"}},
		{"mqtt", "version: 1\nmqtt:\n  broker: ftp://x\n  password: a\n  password_env: B\n  discovery: maybe\n", []string{"mqtt.broker: invalid scheme", "mqtt.password: give only one", "mqtt.discovery"}},
		{"sign without broker", "version: 1\nsigns:\n  - format: neon\n", []string{"signs[0].topic: missing", "signs[0].format: invalid format", "signs[0]: signs are published over MQTT"}},
		{"unknown key", "version: 1\nlights:\n  - vendor: kuando\n    colr: red\n", []string{`lights[0].colr: unknown key "colr"`}},
		{"wrong type", "version: one\ngraph:\n  users: {a: b}\n", []string{"version: wrong type: !!str `one` into int", "graph.users: wrong type: !!map into []config.UserConfig"}},
		{"nested list in rule", "version: 1\nmapping:\n  rules:\n    - availability: [[Busy]]\n      color: red\n", []string{"mapping.rules[0].availability[0]: want a list of words, got a nested list"}},
		{"wrong type on a list item's first line", "version: 1\nmapping:\n  rules:\n    - brightness: bright\n      color: red\n", []string{"mapping.rules[0].brightness: wrong type: !!str `bright` into int"}},
		{"unknown key first in a list item", "version: 1\nlights:\n  - colr: red\n", []string{`lights[0].colr: unknown key "colr"`}},
		{"unknown key through a merge", "version: 1\nbase: &b {vendor: kuando, colr: red}\nlights:\n  - <<: *b\n", []string{`base: unknown key "base"`, `lights[0].colr: unknown key "colr"`}},
		{"missing version", "graph:\n  interval: 5s\n", []string{"version: missing: start the file with \"version: 1\""}},
		{"log", "version: 1\nlog:\n  level: loud\n  format: xml\n", []string{"log.level", "log.format"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			err = c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate = nil, want %q", tt.want)
			}
			errs := err.(interface{ Unwrap() []error }).Unwrap()
			if len(errs) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(errs), len(tt.want), err)
			}
			for i, w := range tt.want {
				if !strings.Contains(errs[i].Error(), w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, errs[i], w)
				}
			}
		})
	}
}

func TestSecretsFromFileAndEnv(t *testing.T) {
	f := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(f, []byte("s3cret\n"), 0o600)
	c, err := Parse([]byte("version: 1\nmqtt:\n  broker: tcp://localhost\n  password_file: " + f + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if !s.MQTT.Secret.IsZero() {
		t.Errorf("Compile read the password file; only ResolveSecrets may")
	}
	if err := c.ResolveSecrets(s); err != nil || s.MQTT.Secret.Reveal() != "s3cret" {
		t.Errorf("password from file = %q, %v", s.MQTT.Secret.Reveal(), err)
	}
	t.Setenv("ONAIR_TEST_PW", "fromenv")
	c, _ = Parse([]byte("version: 1\nmqtt:\n  broker: tcp://localhost\n  password_env: ONAIR_TEST_PW\n"))
	s, err = c.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ResolveSecrets(s); err != nil || s.MQTT.Secret.Reveal() != "fromenv" {
		t.Errorf("password from env = %v, %v", s, err)
	}
}

// A command checks only the parts it uses: an unset password_env is fine
// for Compile (what `onair login` needs) and a file:line error for
// ResolveSecrets (what `run` and `config check` need).
func TestUnsetPasswordEnvFailsOnlyWhenResolved(t *testing.T) {
	os.Unsetenv("ONAIR_TEST_UNSET_PW")
	c, err := Parse([]byte("version: 1\nmqtt:\n  broker: tcp://localhost\n  password_env: ONAIR_TEST_UNSET_PW\n"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile()
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	err = c.ResolveSecrets(s)
	lines := c.Problems(err)
	if len(lines) != 1 || !strings.Contains(lines[0], ":4: mqtt.password_env: environment variable ONAIR_TEST_UNSET_PW is not set") {
		t.Errorf("ResolveSecrets = %q", lines)
	}
}

func TestBrokerURLCredentialsRefused(t *testing.T) {
	c, _ := Parse([]byte("version: 1\nmqtt:\n  broker: tcp://user:pw@host:1883\n"))
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "mqtt.broker: credentials in the broker URL") || !strings.Contains(err.Error(), "tcp://host:1883") || strings.Contains(err.Error(), "pw@") {
		t.Errorf("Validate = %v", err)
	}
}

func TestCustomRulesComeBeforeDefaults(t *testing.T) {
	c, _ := Parse([]byte("version: 1\nmapping:\n  rules:\n    - availability: busy\n      color: '#123456'\n      user: [me]\n"))
	s, err := c.Compile()
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := s.Rules.Match(mapping.Input{Presence: mapping.Presence{User: "me", Availability: "Busy", Activity: "InAMeeting"}})
	if sig.Color != mapping.MustColor("#123456") || sig.Rule != "rule1" {
		t.Errorf("custom rule not first: %+v", sig)
	}
	sig, _ = s.Rules.Match(mapping.Input{Presence: mapping.Presence{User: "me", Availability: "Available"}})
	if sig.Rule != "available" {
		t.Errorf("defaults not appended: %+v", sig)
	}
	c, _ = Parse([]byte("version: 1\nmapping:\n  defaults: false\n  rules:\n    - availability: busy\n      color: red\n"))
	s, _ = c.Compile()
	if len(s.Rules) != 1 {
		t.Errorf("defaults: false kept %d rules, want 1", len(s.Rules))
	}
}

func TestSchedule(t *testing.T) {
	c, _ := Parse([]byte("version: 1\nschedule:\n  days: mon-fri\n  from: '08:00'\n  to: '17:30'\n  time_zone: Europe/Berlin\n"))
	s, err := c.Compile()
	if err != nil {
		t.Fatal(err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	tests := []struct {
		at   time.Time
		want bool
	}{
		{time.Date(2026, 11, 27, 8, 0, 0, 0, berlin), true},    // Friday, opening minute
		{time.Date(2026, 11, 27, 7, 59, 0, 0, berlin), false},  // before
		{time.Date(2026, 11, 27, 17, 30, 0, 0, berlin), false}, // closing minute is outside
		{time.Date(2026, 11, 28, 12, 0, 0, 0, berlin), false},  // Saturday
		{time.Date(2026, 11, 27, 7, 30, 0, 0, time.UTC), true}, // 08:30 in Berlin
	}
	for _, tt := range tests {
		if got := s.Schedule.Working(tt.at); got != tt.want {
			t.Errorf("working(%s) = %v, want %v", tt.at, got, tt.want)
		}
	}
	// A night shift past midnight belongs to the day it starts.
	c, _ = Parse([]byte("version: 1\nschedule:\n  days: fri\n  from: '22:00'\n  to: '06:00'\n  time_zone: UTC\n"))
	s, _ = c.Compile()
	if !s.Schedule.Working(time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)) {
		t.Error("Saturday 03:00 is inside Friday's night shift")
	}
	if s.Schedule.Working(time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)) {
		t.Error("Friday 03:00 belongs to Thursday's shift, which is off")
	}
}

// TestConfigsDirectory loads every onair config shipped in configs/, so
// examples cannot rot.
func TestConfigsDirectory(t *testing.T) {
	// office-door-signs.yaml takes the MQTT password from the environment.
	t.Setenv("ONAIR_MQTT_PASSWORD", "example")
	files, _ := filepath.Glob("../../configs/*.yaml")
	if len(files) == 0 {
		t.Fatal("no configs found in ../../configs")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Validate(); err != nil && !onlyMissingCertificate(err) {
				t.Fatal(err)
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{"version: 1\n", "version: 1\ngraph:\n  users: [a]\n", "mapping:\n  rules:\n    - color: red\n", "{", "- [", "version: 1\nschedule: {from: '8:00', to: '9:00'}\n", "a: &x {b: *x}\n"} {
		f.Add([]byte(s))
	}
	b, _ := os.ReadFile("../../configs/onair.example.yaml")
	f.Add(b)
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := Parse(in)
		if err != nil {
			return
		}
		c.Validate() // must not panic
	})
}

// TestPasswordNeverPrinted: a password from the file decodes into a
// secret.Secret, so printing or encoding the config cannot show it.
func TestPasswordNeverPrinted(t *testing.T) {
	c, err := Parse([]byte("version: 1\nmqtt:\n  broker: tcp://x:1883\n  password: hunter2\n"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile()
	if err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	out := fmt.Sprintf("%v %+v %#v %+v %s", c, *c, c.MQTT, *s.MQTT, j)
	if strings.Contains(out, "hunter2") {
		t.Fatalf("password leaked: %s", out)
	}
	if s.MQTT.Secret.Reveal() != "hunter2" {
		t.Errorf("password = %q", s.MQTT.Secret.Reveal())
	}
}

// TestDefaultPathsFollowXDG: on Linux the per-user files follow the XDG
// variables, as the service units and scripts expect.
func TestDefaultPathsFollowXDG(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("XDG layout is the Linux one")
	}
	t.Setenv("XDG_CONFIG_HOME", "/x/config")
	t.Setenv("XDG_STATE_HOME", "/x/state")
	t.Setenv("XDG_RUNTIME_DIR", "/x/run")
	want := Paths{Config: "/x/config/onair/config.yaml", TokenCache: "/x/state/onair/token-cache.json", Socket: "/x/run/onair.sock"}
	if got := DefaultPaths(false); got != want {
		t.Errorf("DefaultPaths = %+v, want %+v", got, want)
	}
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("HOME", "/home/u")
	if got := DefaultPaths(false).Config; got != "/home/u/.config/onair/config.yaml" {
		t.Errorf("without XDG_CONFIG_HOME: %s", got)
	}
}

// onlyMissingCertificate reports whether err is only that the app
// certificate an example names is not on this machine: its path is the
// admin's, the rest of the file must be valid.
func onlyMissingCertificate(err error) bool {
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *FieldError
		if !errors.As(e, &fe) || fe.Path != "graph.auth.certificate_file" || !strings.Contains(fe.Error(), "cannot read") {
			return false
		}
	}
	return true
}

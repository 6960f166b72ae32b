package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/onair-dev/onair/daemon"
	"github.com/onair-dev/onair/daemon/config"
	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/daemon/output/mqtt"
	"github.com/onair-dev/onair/mapping"
	"github.com/onair-dev/onair/mapping/mappingtest"
)

// overrideOfCommand is the override an MQTT set command asks for, as the
// daemon records it.
func overrideOfCommand(c mqtt.Command) mapping.Override {
	return mapping.Override{Availability: c.Availability, Activity: c.Activity, Color: c.Color, HasColor: c.HasColor, Effect: c.Effect, Label: c.Label, For: c.For}
}

// TestOneVocabulary feeds the same inputs through every interface that
// reads an override: `onair set` (its argument parser, then the request it
// sends through the control API's parser), the control API with a JSON
// body, the MQTT command topic (bare words and JSON) and, for presence
// words, a config rule naming the presence. Each must give the same result
// (mapping/mappingtest).
func TestOneVocabulary(t *testing.T) {
	for _, c := range mappingtest.OverrideCases {
		t.Run(c.Name, func(t *testing.T) {
			want := c.Want
			want.Label = c.WantLabel // every interface records the default label

			// onair set, and what it sends through the control API.
			var stdout, stderr bytes.Buffer
			req, o, code, ok := parseSetArgs(&env{stdout: &stdout, stderr: &stderr}, c.Words)
			switch {
			case c.Err != "" && (ok || code != exitUsage || !strings.Contains(stderr.String(), c.Err)):
				t.Errorf("onair set %q: ok %v, stderr %q; want error %q", c.Words, ok, stderr.String(), c.Err)
			case c.Err == "" && !ok:
				t.Errorf("onair set %q: %s", c.Words, stderr.String())
			case c.Err == "":
				if o != c.Want {
					t.Errorf("onair set %q = %+v, want %+v", c.Words, o, c.Want)
				}
				got, dur, err := daemon.ParseOverride(req)
				if err != nil {
					t.Errorf("control API reading onair set's request %+v: %v", req, err)
				} else if mo := got.Mapping(); dur != want.For || withFor(mo, dur) != want {
					t.Errorf("control API reads onair set's request %+v as %+v for %v, want %+v", req, mo, dur, want)
				}
			}
			if c.JSON == "" {
				return
			}

			// The control API with the JSON body.
			var body daemon.OverrideRequest
			err := json.Unmarshal([]byte(c.JSON), &body)
			var got mapping.Override
			if err == nil {
				var o output.Override
				var dur time.Duration
				o, dur, err = daemon.ParseOverride(body)
				got = withFor(o.Mapping(), dur)
			}
			check(t, "control API "+c.JSON, got, err, want, c.Err)

			// The MQTT command topic, JSON.
			cmd, err := mqtt.ParseCommand([]byte(c.JSON))
			check(t, "MQTT "+c.JSON, overrideOfCommand(cmd), err, c.Want, c.Err)

			// The MQTT command topic, the same words as onair set (flags
			// spelled as words: "--for 30m" is "for 30m").
			if words := plainWords(c.Words); words != "" && c.Err == "" {
				cmd, err := mqtt.ParseCommand([]byte(words))
				check(t, "MQTT "+words, overrideOfCommand(cmd), err, c.Want, "")
			}
		})
	}
}

// withFor is mo lasting for d.
func withFor(mo mapping.Override, d time.Duration) mapping.Override {
	mo.For = d
	return mo
}

// plainWords is the words of an `onair set` case as one bare MQTT command,
// or "" when it has a label (which takes JSON).
func plainWords(words []string) string {
	var out []string
	for i := 0; i < len(words); i++ {
		switch words[i] {
		case "--label":
			return ""
		case "--for":
			out = append(out, "for")
		case "--effect":
		default:
			out = append(out, words[i])
		}
	}
	return strings.Join(out, " ")
}

func check(t *testing.T, what string, got mapping.Override, err error, want mapping.Override, wantErr string) {
	t.Helper()
	switch {
	case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
		t.Errorf("%s: error %v, want %q", what, err, wantErr)
	case wantErr == "" && err != nil:
		t.Errorf("%s: %v", what, err)
	case wantErr == "" && got != want:
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
}

// TestOneVocabularyPresence: every spelling of every presence is the same
// override through onair set, the control API and MQTT (word and JSON), and
// a config rule naming the presence in that spelling matches it.
func TestOneVocabularyPresence(t *testing.T) {
	for _, pc := range mappingtest.PresenceCases {
		want := mapping.Override{Availability: pc.Availability, Activity: pc.Activity}
		for _, sp := range pc.Spellings {
			t.Run(sp, func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				_, o, _, ok := parseSetArgs(&env{stdout: &stdout, stderr: &stderr}, []string{sp})
				check(t, "onair set", o, errIf(!ok, stderr.String()), want, "")

				js, _ := json.Marshal(map[string]string{"status": sp})
				var body daemon.OverrideRequest
				if err := json.Unmarshal(js, &body); err != nil {
					t.Fatal(err)
				}
				rec, _, err := daemon.ParseOverride(body)
				check(t, "control API", rec.Mapping(), err, want, "")

				cmd, err := mqtt.ParseCommand([]byte(sp))
				check(t, "MQTT word", overrideOfCommand(cmd), err, want, "")
				cmd, err = mqtt.ParseCommand(js)
				check(t, "MQTT JSON", overrideOfCommand(cmd), err, want, "")

				// A config rule that names the presence in this spelling
				// matches the override, through the daemon's own path.
				yml := fmt.Sprintf("version: 1\nmapping:\n  defaults: false\n  rules:\n    - name: mine\n      %s: [%q]\n      color: purple\n", pc.RuleField, strings.TrimSpace(sp))
				cfg, err := config.Parse([]byte(yml))
				if err != nil {
					t.Fatalf("config %q: %v", yml, err)
				}
				set, err := cfg.Compile()
				if err != nil {
					t.Fatalf("config %q: %v", yml, err)
				}
				snap := &output.Snapshot{Override: &rec, Users: []output.UserView{{Key: rec.User}}}
				sig, _ := snap.Shown(snap.Users[0], set.Rules)
				if sig.Rule != "override(mine)" {
					t.Errorf("rule %s: [%q] does not match the override %s: signal %+v", pc.RuleField, sp, rec.Mapping(), sig)
				}
			})
		}
	}
}

func errIf(bad bool, msg string) error {
	if bad {
		return fmt.Errorf("%s", msg)
	}
	return nil
}

// TestControlBodyIsStrict: the control API body takes "for" as a string or
// a number of seconds, as MQTT does, and still rejects unknown fields.
func TestControlBodyIsStrict(t *testing.T) {
	var r daemon.OverrideRequest
	if err := json.Unmarshal([]byte(`{"status":"busy","for":90,"user":"me"}`), &r); err != nil || r.For != "90" || r.User != "me" {
		t.Errorf("body with seconds = %+v, %v", r, err)
	}
	if err := json.Unmarshal([]byte(`{"status":"busy","colour":"red"}`), &r); err == nil || !strings.Contains(err.Error(), "colour") {
		t.Errorf("unknown field: error %v, want one naming it", err)
	}
}

package mapping_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/onair-dev/onair/mapping"
	"github.com/onair-dev/onair/mapping/mappingtest"
)

// TestPresenceSpellings: every spelling of a presence reads as the same
// availability/activity pair, and a config rule naming it in any spelling
// matches an override made with any other.
func TestPresenceSpellings(t *testing.T) {
	for _, c := range mappingtest.PresenceCases {
		for _, s := range c.Spellings {
			av, act, ok := mapping.ParsePresence(s)
			if !ok || av != c.Availability || act != c.Activity {
				t.Errorf("ParsePresence(%q) = %q/%q %v, want %q/%q", s, av, act, ok, c.Availability, c.Activity)
			}
			o, err := mapping.ParseOverride(s)
			if err != nil || o.Availability != c.Availability || o.Activity != c.Activity {
				t.Errorf("ParseOverride(%q) = %+v, %v", s, o, err)
			}
			var rule mapping.Rule
			switch c.RuleField {
			case "activity":
				a, ok := mapping.ParseActivity(s)
				if !ok {
					t.Errorf("ParseActivity(%q) not ok", s)
				}
				rule = mapping.Rule{Name: "r", Activity: []mapping.Activity{a}}
			case "availability":
				a, ok := mapping.ParseAvailability(s)
				if !ok {
					t.Errorf("ParseAvailability(%q) not ok", s)
				}
				rule = mapping.Rule{Name: "r", Availability: []mapping.Availability{a}}
			default:
				t.Fatalf("bad RuleField %q", c.RuleField)
			}
			for _, other := range c.Spellings {
				o, _ := mapping.ParseOverride(other)
				sig := o.Apply(mapping.Rules{rule}, mapping.Input{Presence: mapping.Presence{User: "me"}})
				if sig.Rule != "override(r)" {
					t.Errorf("rule %s: [%q] does not match override %q (rule %s)", c.RuleField, s, other, sig.Rule)
				}
			}
		}
	}
}

// parseCLI reads `onair set` arguments as cmd/onair does: the positional
// words through ParseOverride, then --effect, --for and --label.
func parseCLI(args []string) (mapping.Override, error) {
	var words []string
	var effect, dur, label string
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--label":
			i++
			label = args[i]
		case "--for":
			i++
			dur = args[i]
		case "--effect":
			i++
			effect = args[i]
		default:
			words = append(words, args[i])
		}
	}
	o, err := mapping.ParseOverride(words...)
	if err == nil && effect != "" {
		o, err = o.WithEffect(effect)
	}
	if err == nil && dur != "" {
		o, err = o.WithFor(dur)
	}
	if err == nil && label != "" {
		o, err = o.WithLabel(label)
	}
	return o, err
}

// TestOverrideCases runs the cross-interface cases through the word parser
// and the JSON parser: both give the same override, label and error.
func TestOverrideCases(t *testing.T) {
	for _, c := range mappingtest.OverrideCases {
		t.Run(c.Name, func(t *testing.T) {
			fromWords, err := parseCLI(c.Words)
			check(t, "words", c, fromWords, err)

			var text mapping.OverrideText
			if err := json.Unmarshal([]byte(c.JSON), &text); err != nil {
				t.Fatalf("JSON %s: %v", c.JSON, err)
			}
			fromJSON, err := text.Parse()
			check(t, "JSON", c, fromJSON, err)
		})
	}
}

func check(t *testing.T, how string, c mappingtest.OverrideCase, got mapping.Override, err error) {
	t.Helper()
	if c.Err != "" {
		if err == nil || !strings.Contains(err.Error(), c.Err) {
			t.Errorf("%s: error %v, want one containing %q", how, err, c.Err)
		}
		return
	}
	if err != nil {
		t.Fatalf("%s: %v", how, err)
	}
	if got != c.Want {
		t.Errorf("%s: got %+v, want %+v", how, got, c.Want)
	}
	if l := got.DefaultLabel(); l != c.WantLabel {
		t.Errorf("%s: label %q, want %q", how, l, c.WantLabel)
	}
	if got.HasColor {
		sig := got.Apply(mapping.DefaultRules(), mapping.Input{})
		if sig.Label != c.WantLabel || sig.Rule != "override" {
			t.Errorf("%s: Apply = %+v, want label %q", how, sig, c.WantLabel)
		}
	}
}

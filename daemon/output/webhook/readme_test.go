package webhook

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// TestREADMEExamples decodes every `webhooks:` example of the top-level
// README.md (its Webhooks section, which every release archive ships) the
// way the config does (strict), validates it, and renders its body for a few
// states: what a user pastes must work, and a JSON body must be JSON.
func TestREADMEExamples(t *testing.T) {
	b, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "key")
	os.WriteFile(keyFile, []byte("k\n"), 0o600)
	t.Setenv("SLACK_TOKEN", "xoxp-test")
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(b), -1)
	states := []Fields{sample, sample, sample, sample}
	states[1].On, states[1].Color, states[1].Brightness, states[1].Effect = false, "#000000", 0, "off"
	states[2].Availability, states[2].Stale, states[2].StatusMessage = "Away", true, `"quoted" \ <b>`
	states[3].Availability, states[3].Online, states[3].Until = "Offline", false, time.Date(2026, 12, 1, 12, 30, 0, 0, time.UTC)
	n := 0
	for _, m := range blocks {
		text := strings.ReplaceAll(m[1], "/etc/onair/intranet-key", keyFile)
		if !strings.Contains(text, "webhooks:") {
			continue
		}
		var cfg struct {
			Webhooks []Options `yaml:"webhooks"`
		}
		dec := yaml.NewDecoder(strings.NewReader(text))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil {
			t.Fatalf("decode example:\n%s\n%v", text, err)
		}
		for _, o := range cfg.Webhooks {
			n++
			w, err := New(o)
			if err != nil {
				t.Errorf("example %s: %v", o.Name, err)
				continue
			}
			for _, f := range states {
				var body bytes.Buffer
				if err := w.set.body.Execute(&body, f); err != nil {
					t.Errorf("example %s: %v", o.Name, err)
				}
				if ct := w.set.headers.Get("Content-Type"); strings.HasPrefix(ct, "application/json") && !json.Valid(body.Bytes()) {
					t.Errorf("example %s renders invalid JSON for %+v:\n%s", o.Name, f, body.String())
				}
			}
		}
	}
	if n < 4 {
		t.Fatalf("found %d webhook examples in README.md, want at least 4", n)
	}
}

// TestHeaderValueYAML: a header value is a string or a strict mapping.
func TestHeaderValueYAML(t *testing.T) {
	for text, want := range map[string]string{
		"headers:\n  A: plain\n":                         "",
		"headers:\n  A: {env: X, prefix: \"Bearer \"}\n": "",
		"headers:\n  A: {env: X, bogus: 1}\n":            "field bogus not found",
		"headers:\n  A: [1, 2]\n":                        "cannot unmarshal",
	} {
		var o Options
		dec := yaml.NewDecoder(strings.NewReader(text))
		dec.KnownFields(true)
		err := dec.Decode(&o)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%q: %v, want %q", text, err, want)
		}
	}
}

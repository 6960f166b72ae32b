package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestOfficeConfig(t *testing.T) {
	dir := t.TempDir()
	cert := filepath.Join(dir, "app.pem")
	if err := os.WriteFile(cert, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Parse([]byte(`version: 1
graph:
  auth:
    mode: app
    tenant: contoso.example
    client_id: 11111111-1111-1111-1111-111111111111
    certificate_file: ` + cert + `
  users: [reception@contoso.example]
  groups: [Office Berlin]
calendar:
  enabled: true
  interval: 2m
mapping:
  rules:
    - next_meeting_within: 2m
      availability: Available
      color: orange
      label: Meeting soon
signs:
  - user: adele@contoso.example
    topic: door/adele
mqtt:
  broker: tcp://localhost:1883
`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile()
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	if s.App == nil || s.App.Tenant != "contoso.example" || s.App.CertificateFile != cert || s.ClientID != "11111111-1111-1111-1111-111111111111" {
		t.Errorf("App = %+v", s.App)
	}
	if len(s.Users) != 1 || s.Users[0].Key != "reception@contoso.example" {
		t.Errorf("Users = %+v, want the one named user and no \"me\"", s.Users)
	}
	if len(s.Groups) != 1 || s.Groups[0] != "Office Berlin" {
		t.Errorf("Groups = %v", s.Groups)
	}
	if !s.Calendar.Enabled || s.Calendar.Interval != 2*time.Minute {
		t.Errorf("Calendar = %+v", s.Calendar)
	}
	if s.Rules[0].NextMeetingWithin != 2*time.Minute {
		t.Errorf("rule = %+v", s.Rules[0])
	}
}

func TestOfficeConfigProblems(t *testing.T) {
	t.Setenv("ONAIR_TEST_EMPTY", "")
	tests := []struct{ name, in, path, want string }{
		{"common tenant", "graph:\n  auth:\n    mode: app\n    client_id: x\n    client_secret_env: PATH\n  users: [a@b.c]\n",
			"graph.auth.tenant", "app mode needs a specific tenant"},
		{"me watched", "graph:\n  tenant: contoso.example\n  auth:\n    mode: app\n    client_id: x\n    client_secret_env: PATH\n  users: [me]\n",
			"graph.users[0]", "app mode has no signed-in user"},
		{"sign defaults to me", "graph:\n  tenant: contoso.example\n  auth:\n    mode: app\n    client_id: x\n    client_secret_env: PATH\n  users: [a@b.c]\nmqtt:\n  broker: tcp://h:1883\nsigns:\n  - topic: door\n",
			"signs[0].user", "app mode has no signed-in user"},
		{"no credential", "graph:\n  tenant: contoso.example\n  auth:\n    mode: app\n    client_id: x\n  users: [a@b.c]\n",
			"graph.auth", "app mode needs a credential"},
		{"two credentials", "graph:\n  tenant: contoso.example\n  auth:\n    mode: app\n    client_id: x\n    client_secret_env: PATH\n    client_secret_file: /nonexistent\n  users: [a@b.c]\n",
			"graph.auth.client_secret_env", "set exactly one credential"},
		{"empty env", "graph:\n  tenant: contoso.example\n  auth:\n    mode: app\n    client_id: x\n    client_secret_env: ONAIR_TEST_EMPTY\n  users: [a@b.c]\n",
			"graph.auth.client_secret_env", "ONAIR_TEST_EMPTY is empty or unset"},
		{"inline refused", "graph:\n  tenant: contoso.example\n  auth:\n    mode: app\n    client_id: x\n    client_secret: hunter2\n  users: [a@b.c]\n",
			"graph.auth.client_secret", "allow_inline_secret"},
		{"nobody watched", "graph:\n  tenant: contoso.example\n  auth:\n    mode: app\n    client_id: x\n    client_secret_env: PATH\n",
			"graph.users", "list them in graph.users"},
		{"groups delegated", "graph:\n  groups: [Office]\n", "graph.groups", "need app-only mode"},
		{"bad mode", "graph:\n  auth:\n    mode: robot\n", "graph.auth.mode", `invalid mode "robot"`},
		{"rule without calendar", "mapping:\n  rules:\n    - next_meeting_within: 2m\n      color: orange\n",
			"mapping.rules[0].next_meeting_within", "needs calendar.enabled"},
		{"short calendar", "calendar:\n  enabled: true\n  interval: 10s\n", "calendar.interval", "too short"},
		{"calendar delegated", "calendar:\n  enabled: true\n", "calendar.enabled", "read in app mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte("version: 1\n" + tt.in))
			if err != nil {
				t.Fatal(err)
			}
			err = c.Validate()
			if err == nil {
				t.Fatal("Validate = nil")
			}
			found := false
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				fe := e.(*FieldError)
				if fe.Path == tt.path && strings.Contains(fe.Error(), tt.want) {
					found = true
					if fe.Line == 0 {
						t.Errorf("%s has no line", fe)
					}
				}
			}
			if !found {
				t.Errorf("want %s: …%s…; got %v", tt.path, tt.want, err)
			}
		})
	}
}

func TestInlineSecretWarns(t *testing.T) {
	c, err := Parse([]byte("version: 1\ngraph:\n  tenant: contoso.example\n  auth:\n    mode: app\n    client_id: x\n    client_secret: hunter2\n    allow_inline_secret: true\n  users: [a@b.c]\n"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "config:7:") || !strings.Contains(s.Warnings[0], "inline") || strings.Contains(s.Warnings[0], "hunter2") {
		t.Errorf("Warnings = %q, want one naming line 7 and not the secret", s.Warnings)
	}
}

// TestReadmeOfficeConfig validates the configuration the README's office
// section shows, so that it cannot rot; only its certificate is not here.
func TestReadmeOfficeConfig(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(b), "## An office: door signs and a lobby board")
	if !ok {
		t.Fatal("README has no office section")
	}
	_, block, ok := strings.Cut(sec, "```yaml\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatal("the office section has no yaml block")
	}
	c, err := Parse([]byte(block))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil && !onlyMissingCertificate(err) {
		t.Fatalf("README office config: %v", err)
	}
}

// TestInlineClientSecretNeverPrinted: like the MQTT password, an inline
// client secret decodes into a secret.Secret.
func TestInlineClientSecretNeverPrinted(t *testing.T) {
	c, err := Parse([]byte("version: 1\ngraph:\n  tenant: contoso.example\n  auth:\n    mode: app\n    client_id: x\n    client_secret: hunter2\n    allow_inline_secret: true\n  users: [a@b.c]\n"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if out := fmt.Sprintf("%v %+v %#v %+v", *c, c.Graph, c.Graph.Auth, *s.App); strings.Contains(out, "hunter2") {
		t.Fatalf("secret leaked: %s", out)
	}
	if s.App.ClientSecret.Reveal() != "hunter2" {
		t.Errorf("secret = %q", s.App.ClientSecret.Reveal())
	}
}

package secret_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/onair-dev/onair/daemon/secret"
)

// TestNeverPrinted prints and encodes a secret every way a program might
// by accident: none may show the value.
func TestNeverPrinted(t *testing.T) {
	s := secret.New("hunter2")
	type options struct {
		Broker   string
		Password secret.Secret
		Ptr      *secret.Secret
	}
	o := options{Broker: "tcp://x", Password: s, Ptr: &s}

	var out bytes.Buffer
	fmt.Fprint(&out, s, " ")
	fmt.Fprintf(&out, "%v %+v %#v %s %q %x %X %d %10s|", s, s, s, s, s, s, s, s, s)
	fmt.Fprintf(&out, "%v %+v %#v|", o, o, o)
	for _, v := range []any{s, o, map[string]secret.Secret{"password": s}} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(b)
	}
	y, err := yaml.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	out.Write(y)
	for _, h := range []slog.Handler{slog.NewTextHandler(&out, nil), slog.NewJSONHandler(&out, nil)} {
		log := slog.New(h)
		log.Info("connect", "password", s, "options", o)
		log.Info("connect", slog.Any("password", s), slog.Group("mqtt", "password", s))
	}
	if strings.Contains(out.String(), "hunter2") {
		t.Fatalf("the secret leaked:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "REDACTED") {
		t.Fatalf("no REDACTED in:\n%s", out.String())
	}
	if got := s.Reveal(); got != "hunter2" {
		t.Errorf("Reveal = %q", got)
	}
}

func TestEmptySaysSo(t *testing.T) {
	var s secret.Secret
	if !s.IsZero() || s.String() != "" || fmt.Sprint(s) != "" {
		t.Errorf("empty secret prints %q", fmt.Sprint(s))
	}
}

// TestDecodesFromYAML: a config password decodes straight into a Secret.
func TestDecodesFromYAML(t *testing.T) {
	var c struct {
		Password secret.Secret `yaml:"password"`
	}
	if err := yaml.Unmarshal([]byte("password: hunter2\n"), &c); err != nil {
		t.Fatal(err)
	}
	if c.Password.Reveal() != "hunter2" {
		t.Errorf("decoded %q", c.Password.Reveal())
	}
}

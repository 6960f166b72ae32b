// Package secret holds a password or token so that it cannot leak by
// accident: every way a value gets printed or encoded (fmt verbs, %#v,
// encoding/json and other text encoders, log/slog) shows "REDACTED"
// instead. The value itself comes out only through Reveal, at the one call
// that hands it to a library (the MQTT client's SetPassword).
//
// It is a leaf: the standard library only, so that config, the outputs and
// the daemon can all use it.
package secret

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
)

// Secret is a password or token. The zero value is the empty secret.
//
// It is a struct, not a string type, so that no conversion and no
// reflection-based encoder (encoding/json of a field, yaml.Marshal) reaches
// the value.
type Secret struct {
	v string
}

// redacted is what every printed or encoded form of a non-empty Secret shows.
const redacted = "REDACTED"

// New returns a Secret holding v.
func New(v string) Secret { return Secret{v: v} }

// Reveal returns the value. Call it only where the value is handed to the
// code that needs it, never to print or log.
func (s Secret) Reveal() string { return s.v }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.v == "" }

// String returns "REDACTED" for a non-empty secret and "" for an empty one,
// so status output can still say whether one is set.
func (s Secret) String() string {
	if s.v == "" {
		return ""
	}
	return redacted
}

// GoString implements fmt.GoStringer (%#v).
func (s Secret) GoString() string { return "secret.Secret(" + strconv.Quote(s.String()) + ")" }

// Format implements fmt.Formatter, so that every verb, %x and %d included,
// prints the redacted form.
func (s Secret) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		io.WriteString(f, s.GoString())
	case verb == 'q':
		io.WriteString(f, strconv.Quote(s.String()))
	default:
		io.WriteString(f, s.String())
	}
}

// MarshalText implements encoding.TextMarshaler: encoding/json, and any
// other encoder that honours it, writes the redacted form.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler, which the config's
// YAML decoder (go.yaml.in/yaml/v3) uses for a scalar: a password in the
// config file decodes straight into a Secret.
func (s *Secret) UnmarshalText(b []byte) error {
	s.v = string(b)
	return nil
}

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

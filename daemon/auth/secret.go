package auth

import (
	"fmt"
	"log/slog"
)

// Secret holds a credential (an access or refresh token). It prints and logs
// as "REDACTED" through slog, fmt (every verb), JSON and text encoders, so a
// Secret that reaches a log line or an error message by accident leaks
// nothing. Reveal returns the value for the one place that needs it, such as
// an Authorization header.
type Secret string

const redacted = "REDACTED"

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// String implements fmt.Stringer.
func (s Secret) String() string { return redacted }

// GoString implements fmt.GoStringer for %#v.
func (s Secret) GoString() string { return `auth.Secret("` + redacted + `")` }

// Format implements fmt.Formatter so %x, %q and friends redact too.
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'v':
		if f.Flag('#') {
			_, _ = fmt.Fprint(f, s.GoString())
			return
		}
	case 'q':
		_, _ = fmt.Fprintf(f, "%q", redacted)
		return
	}
	_, _ = fmt.Fprint(f, redacted)
}

// MarshalText implements encoding.TextMarshaler (and so JSON encoding).
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

var (
	_ slog.LogValuer = Secret("")
	_ fmt.Formatter  = Secret("")
)

package config

import (
	"errors"
	"os"
	"strconv"
	"strings"

	"github.com/onair-dev/onair/daemon/secret"
)

// ResolveSecrets reads the secrets s needs from where the config says they
// are (mqtt.password_file, mqtt.password_env) into s. Compile does not read
// them, so that a command checks only what it uses: `onair login` never
// connects to the broker and works with mqtt.password_env unset, while `run`
// and `config check` call this and fail on a missing secret. The errors are
// *FieldError values at the line of the field, like Validate's.
func (c *Config) ResolveSecrets(s *Settings) error {
	if s == nil || s.MQTT == nil {
		return nil
	}
	p := &problems{c: c}
	m := s.MQTT
	switch {
	case m.PasswordFile != "":
		b, err := os.ReadFile(m.PasswordFile)
		if err != nil {
			p.add("mqtt.password_file", "cannot read the password file: %v", err)
			break
		}
		m.Secret = secret.New(strings.TrimRight(string(b), "\r\n"))
	case m.PasswordEnv != "":
		v, ok := os.LookupEnv(m.PasswordEnv)
		if !ok {
			p.add("mqtt.password_env", "environment variable %s is not set: set it for onair (for the service, in its environment file), or use password_file", m.PasswordEnv)
			break
		}
		m.Secret = secret.New(v)
	}
	return errors.Join(p.errs...)
}

// Problems formats an error of Validate, Compile or ResolveSecrets as one
// line per problem, "file:line: path: message" (without the line when it
// is unknown), for the CLI and for the daemon's reload log and status.
func (c *Config) Problems(err error) []string {
	if err == nil {
		return nil
	}
	name := c.Path()
	if name == "" {
		name = "(config)"
	}
	var lines []string
	for _, e := range flattenErrors(err) {
		var fe *FieldError
		if errors.As(e, &fe) && fe.Line > 0 {
			lines = append(lines, name+":"+strconv.Itoa(fe.Line)+": "+fe.Error())
		} else {
			lines = append(lines, name+": "+e.Error())
		}
	}
	return lines
}

func flattenErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flattenErrors(e)...)
		}
		return out
	}
	return []error{err}
}

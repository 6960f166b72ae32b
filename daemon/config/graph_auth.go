package config

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/onair-dev/onair/daemon/secret"
)

// GraphAuthConfig is graph.auth: how onair gets its Graph tokens.
//
// The default, delegated, signs a person in (`onair login`) and polls as
// them. App, the client credentials grant, needs no one's sign-in: an
// admin grants the app registration application permissions
// (Presence.Read.All, and GroupMember.Read.All for graph.groups,
// Calendars.ReadBasic for calendar) and onair proves the app's identity
// with a certificate (recommended) or a client secret. It suits door
// signs and a lobby board that must work when nobody is logged in.
type GraphAuthConfig struct {
	// Mode is delegated (default) or app.
	Mode string `yaml:"mode"`
	// Tenant is the directory in app mode: a tenant ID or a verified
	// domain, never organizations or common. Default: graph.tenant.
	Tenant string `yaml:"tenant"`
	// ClientID is the app registration in app mode. Default:
	// graph.client_id.
	ClientID string `yaml:"client_id"`
	// CertificateFile is a PEM (certificate and unencrypted key) or a
	// PKCS#12 .pfx; its password, if any, is in CertificatePasswordFile or
	// the environment variable CertificatePasswordEnv.
	CertificateFile         string `yaml:"certificate_file"`
	CertificatePasswordFile string `yaml:"certificate_password_file"`
	CertificatePasswordEnv  string `yaml:"certificate_password_env"`
	// ClientSecretFile or ClientSecretEnv hold a client secret's Value.
	ClientSecretFile string `yaml:"client_secret_file"`
	ClientSecretEnv  string `yaml:"client_secret_env"`
	// ClientSecret inline in this file is refused unless AllowInlineSecret:
	// backups and support bundles copy config files.
	ClientSecret      secret.Secret `yaml:"client_secret"`
	AllowInlineSecret bool          `yaml:"allow_inline_secret"`
}

// CalendarConfig is calendar: free/busy from the watched users' calendars
// (getSchedule), for "busy until 14:30" and next_meeting_within rules.
type CalendarConfig struct {
	// Enabled turns calendar reading on. Default false.
	Enabled bool `yaml:"enabled"`
	// Interval is how often free/busy is read, in one request per 20
	// users. Default 5m, minimum 1m: calendars change far less often than
	// presence.
	Interval string `yaml:"interval"`
}

// Calendar defaults.
const (
	DefaultCalendarInterval = 5 * time.Minute
	MinCalendarInterval     = time.Minute
)

// Auth modes.
const (
	AuthDelegated = "delegated"
	AuthApp       = "app"
)

// AppAuth is a validated graph.auth in app mode.
type AppAuth struct {
	ClientID, Tenant, Authority string
	// The credential, as the config names it: exactly one of
	// CertificateFile, ClientSecretFile, ClientSecretEnv, ClientSecret.
	CertificateFile, CertificatePasswordFile, CertificatePasswordEnv string
	ClientSecretFile, ClientSecretEnv                                string
	ClientSecret                                                     secret.Secret
	AllowInlineSecret                                                bool
}

// Calendar is the validated calendar section.
type Calendar struct {
	Enabled  bool
	Interval time.Duration
}

// compileOffice validates graph.auth, graph.groups and calendar into s.
// It runs before the users are compiled, so that app mode can leave out
// the signed-in user.
func compileOffice(p *problems, c *Config, s *Settings) {
	a := c.Graph.Auth
	switch strings.ToLower(strings.TrimSpace(a.Mode)) {
	case "", AuthDelegated:
		if a != (GraphAuthConfig{Mode: a.Mode}) {
			p.add("graph.auth.mode", "credentials are set but mode is delegated: set mode: app to use them, or remove them")
		}
		if len(c.Graph.Groups) > 0 {
			p.add("graph.groups", "groups need app-only mode (graph.auth.mode: app): a signed-in person's token cannot read every member's presence without their own consent")
		}
	case AuthApp:
		app := &AppAuth{
			ClientID: orDefault(a.ClientID, strings.TrimSpace(c.Graph.ClientID)), Tenant: orDefault(a.Tenant, strings.TrimSpace(c.Graph.Tenant)),
			Authority:       strings.TrimRight(c.Graph.Authority, "/"),
			CertificateFile: a.CertificateFile, CertificatePasswordFile: a.CertificatePasswordFile, CertificatePasswordEnv: a.CertificatePasswordEnv,
			ClientSecretFile: a.ClientSecretFile, ClientSecretEnv: a.ClientSecretEnv, ClientSecret: a.ClientSecret,
			AllowInlineSecret: a.AllowInlineSecret,
		}
		if app.ClientID == "" {
			p.add("graph.auth.client_id", "missing: copy the Application (client) ID of the app registration (or set graph.client_id)")
		}
		switch strings.ToLower(app.Tenant) {
		case "", "organizations", "common", "consumers":
			if app.Authority == "" {
				p.add("graph.auth.tenant", "app mode needs a specific tenant: the Directory (tenant) ID from the app registration's Overview page, or a verified domain such as contoso.com (not %q)", orDefault(app.Tenant, DefaultTenant))
			}
		}
		compileCredential(p, app)
		s.App = app
		s.ClientID = app.ClientID
	default:
		p.add("graph.auth.mode", "invalid mode %q: want delegated or app", a.Mode)
	}
	for i, g := range c.Graph.Groups {
		g = strings.TrimSpace(g)
		if g == "" {
			p.add(fmt.Sprintf("graph.groups[%d]", i), "empty group: give the group's object ID or its display name")
			continue
		}
		s.Groups = append(s.Groups, g)
	}
	s.Calendar = Calendar{Enabled: c.Calendar.Enabled, Interval: DefaultCalendarInterval}
	if s.Calendar.Enabled && s.App == nil {
		p.add("calendar.enabled", "the calendar is read in app mode (graph.auth.mode: app) with the application permission Calendars.ReadBasic; delegated sign-in does not ask for calendar access")
	}
	if c.Calendar.Interval != "" {
		d, err := time.ParseDuration(c.Calendar.Interval)
		switch {
		case err != nil:
			p.add("calendar.interval", "invalid duration %q: use a number with a unit, such as 5m", c.Calendar.Interval)
		case d < MinCalendarInterval:
			p.add("calendar.interval", "%s is too short: the minimum is %s (calendars change far less often than presence)", d, MinCalendarInterval)
		default:
			s.Calendar.Interval = d
		}
	}
}

// compileCredential checks that exactly one credential is set and its
// files are readable. Reading the certificate itself is the daemon's.
func compileCredential(p *problems, a *AppAuth) {
	var set []string
	for _, f := range []struct{ key, v string }{
		{"certificate_file", a.CertificateFile}, {"client_secret_file", a.ClientSecretFile},
		{"client_secret_env", a.ClientSecretEnv}, {"client_secret", a.ClientSecret.Reveal()},
	} {
		if f.v != "" {
			set = append(set, f.key)
		}
	}
	switch len(set) {
	case 0:
		p.add("graph.auth", "app mode needs a credential: set certificate_file (recommended), client_secret_file or client_secret_env")
		return
	case 1:
	default:
		p.add("graph.auth."+set[1], "set exactly one credential, not %s", strings.Join(set, " and "))
		return
	}
	for _, f := range []struct{ key, path string }{
		{"certificate_file", a.CertificateFile}, {"certificate_password_file", a.CertificatePasswordFile},
		{"client_secret_file", a.ClientSecretFile},
	} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			p.add("graph.auth."+f.key, "cannot read %s: %v", f.path, err)
		}
	}
	if a.CertificatePasswordFile != "" && a.CertificatePasswordEnv != "" {
		p.add("graph.auth.certificate_password_env", "set certificate_password_file or certificate_password_env, not both")
	}
	if a.CertificateFile == "" && (a.CertificatePasswordFile != "" || a.CertificatePasswordEnv != "") {
		p.add("graph.auth.certificate_password_file", "a certificate password without certificate_file")
	}
	for _, f := range []struct{ key, name string }{{"client_secret_env", a.ClientSecretEnv}, {"certificate_password_env", a.CertificatePasswordEnv}} {
		if f.name != "" && os.Getenv(f.name) == "" {
			p.add("graph.auth."+f.key, "environment variable %s is empty or unset", f.name)
		}
	}
	if a.ClientSecret.Reveal() != "" && !a.AllowInlineSecret {
		p.add("graph.auth.client_secret", "the client secret is inline in the config file, where backups and support bundles copy it: "+
			"move it to client_secret_file (mode 0600) or client_secret_env, or set allow_inline_secret: true to accept the risk")
	}
}

// officeWarnings are accepted settings that deserve a word in the log and
// in `onair config check`.
func officeWarnings(c *Config, s *Settings) []string {
	var w []string
	if s.App != nil && s.App.ClientSecret.Reveal() != "" && s.App.AllowInlineSecret {
		w = append(w, fmt.Sprintf("%s: graph.auth.client_secret is stored inline in the config file; prefer certificate_file or client_secret_file", c.at("graph.auth.client_secret")))
	}
	return w
}

// at names a field path with its file and line, "onair.yaml:12", for
// warnings (errors carry the line in their FieldError).
func (c *Config) at(path string) string {
	file := c.path
	if file == "" {
		file = "config"
	}
	if l := c.Line(path); l > 0 {
		return fmt.Sprintf("%s:%d", file, l)
	}
	return file
}

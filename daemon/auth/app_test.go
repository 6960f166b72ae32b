package auth_test

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onair-dev/onair/daemon/auth"
	"github.com/onair-dev/onair/daemon/auth/entratest"
	"software.sslmate.com/src/go-pkcs12"
)

const (
	appClientID = "44444444-4444-4444-8444-444444444444"
	appSecret   = "s3cret~value"
)

var allRoles = []string{auth.RolePresenceReadAll, auth.RoleUserReadBasicAll, auth.RoleGroupMemberReadAll, auth.RoleCalendarsReadBasic}

type appFixture struct {
	srv  *entratest.Server
	cert entratest.Certificate
}

// newAppFixture registers an app with a one-year certificate and a secret,
// granted roles.
func newAppFixture(t *testing.T, roles ...string) *appFixture {
	t.Helper()
	srv := entratest.New(t, entratest.Options{MissingTenants: []string{"typo.example"}})
	cert := entratest.NewCertificate(t, "onair office", time.Now().Add(365*24*time.Hour))
	srv.RegisterApp(entratest.App{ClientID: appClientID, Secret: appSecret, Certificates: []*x509.Certificate{cert.Cert}, Roles: roles})
	return &appFixture{srv: srv, cert: cert}
}

func (f *appFixture) app(t *testing.T, cred auth.AppCredential, edit ...func(*auth.AppOptions)) *auth.AppClient {
	t.Helper()
	opts := auth.AppOptions{
		ClientID:   appClientID,
		Authority:  f.srv.URL() + "/" + entratest.TenantID,
		Credential: cred,
		HTTPClient: f.srv.Client(),
	}
	for _, e := range edit {
		e(&opts)
	}
	c, err := auth.NewApp(opts)
	if err != nil {
		t.Fatalf("NewApp: %v", err)
	}
	return c
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAppCertificateAndSecretSucceed(t *testing.T) {
	t.Parallel()
	f := newAppFixture(t, allRoles...)
	pfx, err := pkcs12.Modern.Encode(f.cert.Key, f.cert.Cert, nil, "pfx-pass")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  auth.CredentialConfig
	}{
		{"pem", auth.CredentialConfig{CertificateFile: writeFile(t, "app.pem", f.cert.PEM)}},
		{"pkcs12 password file", auth.CredentialConfig{CertificateFile: writeFile(t, "app.pfx", pfx),
			CertificatePasswordFile: writeFile(t, "pass", []byte("pfx-pass\n"))}},
		{"pkcs12 password env", auth.CredentialConfig{CertificateFile: writeFile(t, "app.pfx", pfx),
			CertificatePasswordEnv: "PFX_PASS", Getenv: func(k string) string { return map[string]string{"PFX_PASS": "pfx-pass"}[k] }}},
		{"secret file", auth.CredentialConfig{ClientSecretFile: writeFile(t, "secret", []byte(appSecret+"\n"))}},
		{"secret env", auth.CredentialConfig{ClientSecretEnv: "ONAIR_SECRET", Getenv: func(k string) string { return map[string]string{"ONAIR_SECRET": appSecret}[k] }}},
		{"inline secret allowed", auth.CredentialConfig{ClientSecret: appSecret, AllowInlineSecret: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cred, err := auth.LoadAppCredential(tc.cfg)
			if err != nil {
				t.Fatalf("LoadAppCredential: %v", err)
			}
			if (tc.cfg.ClientSecret != "") != (cred.Warning != "") {
				t.Errorf("Warning = %q; want one exactly for an inline secret", cred.Warning)
			}
			c := f.app(t, cred)
			before := f.srv.Counts().ClientCredentials
			res, err := c.Check(t.Context(), auth.Permissions{Groups: true, Calendar: true, Users: true})
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			tok, err := c.Token(t.Context())
			if err != nil {
				t.Fatalf("Token: %v", err)
			}
			if roles, ok := f.srv.AppToken(tok); !ok || len(roles) != len(allRoles) {
				t.Errorf("AppToken(%q) = %v, %v; want the granted roles", tok, roles, ok)
			}
			if got := f.srv.Counts().ClientCredentials - before; got != 1 {
				t.Errorf("client credentials requests = %d, want 1 (MSAL caches the token)", got)
			}
			if len(res.Roles) != len(allRoles) {
				t.Errorf("CheckResult.Roles = %v", res.Roles)
			}
			if cred.IsCertificate() && (res.CertificateNotAfter.IsZero() || res.CertificateExpiresSoon) {
				t.Errorf("certificate expiry = %v soon=%v, want a year ahead", res.CertificateNotAfter, res.CertificateExpiresSoon)
			}
		})
	}
}

func TestAppWrongCertificate(t *testing.T) {
	t.Parallel()
	f := newAppFixture(t, allRoles...)
	other := entratest.NewCertificate(t, "not uploaded", time.Now().Add(24*time.Hour*90))
	cred, err := auth.CertificateFromBytes(other.PEM, "", "/etc/onair/app.pem")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.app(t, cred).Token(t.Context())
	var ce *auth.CredentialError
	if !errors.Is(err, auth.ErrInvalidCredential) || !errors.As(err, &ce) {
		t.Fatalf("Token = %v, want ErrInvalidCredential", err)
	}
	if errors.Is(err, auth.ErrUnavailable) || errors.Is(err, auth.ErrLoginRequired) {
		t.Errorf("%v must not match ErrUnavailable or ErrLoginRequired", err)
	}
	for _, want := range []string{"AADSTS700027", cred.Thumbprint(), "Certificates & secrets", "/etc/onair/app.pem"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestAppWrongSecret(t *testing.T) {
	t.Parallel()
	f := newAppFixture(t, allRoles...)
	cred, err := auth.SecretCredential("secret-id-not-value", "/etc/onair/secret")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.app(t, cred).Token(t.Context())
	if !errors.Is(err, auth.ErrInvalidCredential) {
		t.Fatalf("Token = %v, want ErrInvalidCredential", err)
	}
	for _, want := range []string{"AADSTS7000215", "Value (not its Secret ID)", "/etc/onair/secret"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "secret-id-not-value") {
		t.Errorf("error %q leaks the secret", err)
	}
}

func TestAppExpiredCertificateFailsLocally(t *testing.T) {
	t.Parallel()
	f := newAppFixture(t, allRoles...)
	old := entratest.NewCertificate(t, "expired", time.Now().Add(-time.Minute))
	f.srv.RegisterApp(entratest.App{ClientID: appClientID, Certificates: []*x509.Certificate{old.Cert}, Roles: allRoles})
	cred, err := auth.CertificateFromBytes(old.PEM, "", "old.pem")
	if err != nil {
		t.Fatal(err)
	}
	c := f.app(t, cred)
	_, err = c.Check(t.Context(), auth.Permissions{})
	var ee *auth.CertificateExpiredError
	if !errors.Is(err, auth.ErrCertificateExpired) || !errors.As(err, &ee) || !ee.NotAfter.Equal(old.Cert.NotAfter) {
		t.Fatalf("Check = %v, want *CertificateExpiredError", err)
	}
	if !strings.Contains(ee.Remedy(), "new certificate") {
		t.Errorf("Remedy %q", ee.Remedy())
	}
	if n := f.srv.Counts().ClientCredentials; n != 0 {
		t.Errorf("expired certificate sent %d token requests, want 0", n)
	}
	// Entra refuses it too, had the client tried: the fake checks NotAfter.
	if _, soon, ok := c.CertificateExpiry(); !ok || !soon {
		t.Errorf("CertificateExpiry soon=%v ok=%v, want expired (soon)", soon, ok)
	}
}

func TestAppCertificateExpirySoon(t *testing.T) {
	t.Parallel()
	now := time.Now()
	for _, tc := range []struct {
		left time.Duration
		soon bool
	}{{10 * 24 * time.Hour, true}, {29 * 24 * time.Hour, true}, {31 * 24 * time.Hour, false}, {365 * 24 * time.Hour, false}} {
		c := entratest.NewCertificate(t, "x", now.Add(tc.left))
		cred, err := auth.CertificateFromBytes(c.PEM, "", "x.pem")
		if err != nil {
			t.Fatal(err)
		}
		na, soon, ok := cred.CertificateExpiry(now)
		if !ok || soon != tc.soon || !na.Equal(c.Cert.NotAfter) {
			t.Errorf("%v left: CertificateExpiry = %v, %v, %v; want soon=%v", tc.left, na, soon, ok, tc.soon)
		}
	}
	sec, _ := auth.SecretCredential("x", "env")
	if _, _, ok := sec.CertificateExpiry(now); ok {
		t.Error("a secret reports a certificate expiry")
	}
}

func TestAppMissingPermissions(t *testing.T) {
	t.Parallel()
	f := newAppFixture(t) // nothing granted
	cred, _ := auth.CertificateFromBytes(f.cert.PEM, "", "app.pem")
	c := f.app(t, cred)
	_, err := c.Check(t.Context(), auth.Permissions{})
	want := "Presence.Read.All (Application) not granted: ask an admin to grant consent for app " + appClientID + " in tenant " + entratest.TenantID
	if !errors.Is(err, auth.ErrPermissionMissing) || !strings.Contains(err.Error(), want) {
		t.Fatalf("Check = %v\nwant ErrPermissionMissing containing %q", err, want)
	}

	f.srv.GrantRoles(appClientID, auth.RolePresenceReadAll)
	c = f.app(t, cred) // a new client: MSAL cached the roleless token
	_, err = c.Check(t.Context(), auth.Permissions{Groups: true, Calendar: true})
	var pe *auth.PermissionError
	if !errors.As(err, &pe) || strings.Join(pe.Missing, ",") != "GroupMember.Read.All,Calendars.ReadBasic" {
		t.Fatalf("Check with groups and calendar = %v, want GroupMember.Read.All and Calendars.ReadBasic missing", err)
	}
	if _, err := c.Check(t.Context(), auth.Permissions{}); err != nil {
		t.Errorf("Check with presence only = %v, want nil", err)
	}
	f.srv.GrantRoles(appClientID, auth.RolePresenceReadAll, "GroupMember.Read.All", "Calendars.Read")
	if _, err := f.app(t, cred).Check(t.Context(), auth.Permissions{Groups: true, Calendar: true}); err != nil {
		t.Errorf("Calendars.Read should satisfy the calendar need: %v", err)
	}
}

func TestAppTenantNotFound(t *testing.T) {
	t.Parallel()
	f := newAppFixture(t, allRoles...)
	cred, _ := auth.CertificateFromBytes(f.cert.PEM, "", "app.pem")
	c := f.app(t, cred, func(o *auth.AppOptions) { o.Authority = f.srv.URL() + "/typo.example" })
	_, err := c.Token(t.Context())
	var te *auth.TenantNotFoundError
	if !errors.Is(err, auth.ErrTenantNotFound) || !errors.As(err, &te) || te.Tenant != "typo.example" {
		t.Fatalf("Token = %v, want *TenantNotFoundError for typo.example", err)
	}
	if !strings.Contains(err.Error(), "AADSTS90002") || !strings.Contains(te.Remedy(), "graph.auth.tenant") {
		t.Errorf("error %q / remedy %q", err, te.Remedy())
	}
}

func TestLoadAppCredentialRefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  auth.CredentialConfig
		want string
	}{
		{"none", auth.CredentialConfig{}, "needs a credential"},
		{"two", auth.CredentialConfig{CertificateFile: "a", ClientSecretEnv: "B"}, "exactly one"},
		{"inline without flag", auth.CredentialConfig{ClientSecret: "x"}, "allow_inline_secret"},
		{"empty env", auth.CredentialConfig{ClientSecretEnv: "NOPE", Getenv: func(string) string { return "" }}, "empty"},
		{"password empty env", auth.CredentialConfig{CertificateFile: "a", CertificatePasswordEnv: "NOPE", Getenv: func(string) string { return "" }}, "NOPE is empty"},
		{"missing file", auth.CredentialConfig{CertificateFile: filepath.Join(t.TempDir(), "app.pem")}, "app.pem"},
	} {
		_, err := auth.LoadAppCredential(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	c := entratest.NewCertificate(t, "x", time.Now().Add(time.Hour))
	pfx, err := pkcs12.Modern.Encode(c.Key, c.Cert, nil, "right")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.CertificateFromBytes(pfx, "wrong", "app.pfx"); err == nil || !strings.Contains(err.Error(), "wrong PKCS#12 password") {
		t.Errorf("wrong password: %v", err)
	}
	for _, tenant := range []string{"", "organizations", "common"} {
		cred, _ := auth.SecretCredential("x", "env")
		if _, err := auth.NewApp(auth.AppOptions{ClientID: appClientID, Tenant: tenant, Credential: cred}); err == nil || !strings.Contains(err.Error(), "tenant ID") {
			t.Errorf("tenant %q: NewApp = %v, want a refusal naming the tenant ID", tenant, err)
		}
	}
}

func TestAppCredentialNeverPrintsSecrets(t *testing.T) {
	t.Parallel()
	sec, _ := auth.SecretCredential("hunter2-secret", "env X")
	c := entratest.NewCertificate(t, "x", time.Now().Add(time.Hour))
	cert, _ := auth.CertificateFromBytes(c.PEM, "", "x.pem")
	var buf strings.Builder
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	for _, cred := range []auth.AppCredential{sec, cert} {
		logger.Info("cred", "c", cred)
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			fmt.Fprintf(&buf, verb+"\n", cred)
		}
	}
	out := buf.String()
	if strings.Contains(out, "hunter2") || strings.Contains(out, c.Key.D.String()) || strings.Contains(out, "PRIVATE") {
		t.Errorf("a secret leaked:\n%s", out)
	}
	if !strings.Contains(out, cert.Thumbprint()) || !strings.Contains(out, "REDACTED") {
		t.Errorf("output does not describe the credentials:\n%s", out)
	}
}

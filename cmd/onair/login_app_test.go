package main

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onair-dev/onair/daemon/auth"
	"github.com/onair-dev/onair/daemon/auth/entratest"
)

// TestLoginAppMode: `onair login` in app-only mode signs no one in; it gets
// a token with the app's certificate (the real MSAL confidential client
// against the fake Entra ID) and names a missing application permission.
func TestLoginAppMode(t *testing.T) {
	const clientID = "66666666-6666-4666-8666-666666666666"
	entra := entratest.New(t, entratest.Options{})
	cert := entratest.NewCertificate(t, "onair office", time.Now().Add(20*24*time.Hour))
	entra.RegisterApp(entratest.App{ClientID: clientID, Certificates: []*x509.Certificate{cert.Cert}, Roles: []string{auth.RolePresenceReadAll}})
	prev := appHTTPClient
	appHTTPClient = func() *http.Client { return entra.Client() }
	t.Cleanup(func() { appHTTPClient = prev })

	dir := t.TempDir()
	// No running daemon to tell: the control socket is looked for here.
	t.Setenv("XDG_RUNTIME_DIR", dir)
	t.Setenv("HOME", dir)
	pemPath := filepath.Join(dir, "app.pem")
	os.WriteFile(pemPath, cert.PEM, 0o600)
	cfgPath := filepath.Join(dir, "onair.yaml")
	write := func(extra string) {
		cfg := fmt.Sprintf("version: 1\ngraph:\n  authority: %s/%s\n  auth:\n    mode: app\n    client_id: %s\n    certificate_file: %s\n  users: [00000000-0000-4000-8000-000000000001]\n%s",
			entra.URL(), entratest.TenantID, clientID, pemPath, extra)
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	run := func() (int, string, string) {
		var out, errOut bytes.Buffer
		e := &env{stdout: &out, stderr: &errOut, configPath: cfgPath}
		code := cmdLogin(t.Context(), e, nil)
		return code, out.String(), errOut.String()
	}

	write("")
	code, out, errOut := run()
	if code != exitOK || !strings.Contains(out, "needs no sign-in") || !strings.Contains(out, "Presence.Read.All") ||
		!strings.Contains(out, "renew it soon") {
		t.Errorf("login = %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}

	write("  groups: [Office]\n")
	code, out, errOut = run()
	if code == exitOK || !strings.Contains(errOut, "GroupMember.Read.All (Application) not granted") || !strings.Contains(errOut, "Grant admin consent") {
		t.Errorf("login without GroupMember.Read.All = %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if n := entra.Counts().DeviceCodePolls; n != 0 {
		t.Errorf("device-code polls = %d: app mode signs no one in", n)
	}
}

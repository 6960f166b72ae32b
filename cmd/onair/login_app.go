package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/onair-dev/onair/daemon"
)

// appHTTPClient is the HTTP client of the app-only check; tests point it
// at a fake Entra ID.
var appHTTPClient = func() *http.Client { return &http.Client{Timeout: 30 * time.Second} }

// loginApp is `onair login` in app-only mode (graph.auth.mode: app): there
// is no one to sign in, so it gets a token with the app's credential and
// checks that an admin granted the application permissions the config
// needs. ok is false when the config is not in app mode.
func loginApp(ctx context.Context, e *env) (code int, ok bool) {
	cfg, err := e.loadConfig()
	if err != nil {
		return 0, false // cmdLogin reports it
	}
	set, err := cfg.Compile()
	if err != nil || set.App == nil {
		return 0, false
	}
	log, err := e.logger(cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		return fail(e, err), true
	}
	app, need, err := daemon.NewApp(cfg, appHTTPClient(), log.With("component", "auth"))
	if err != nil {
		return fail(e, err), true
	}
	res, err := app.Check(ctx, need)
	if err != nil {
		// The app-only errors carry their remedy (which permission to
		// grant, which certificate to upload) in their message.
		return fail(e, err), true
	}
	fmt.Fprintf(e.stdout, "App-only mode: app %s in tenant %s needs no sign-in.\n", res.ClientID, res.Tenant)
	fmt.Fprintf(e.stdout, "Granted application permissions: %s.\n", strings.Join(res.Roles, ", "))
	if !res.CertificateNotAfter.IsZero() {
		warn := ""
		if res.CertificateExpiresSoon {
			warn = " — renew it soon: create a new certificate and upload it to the app registration"
		}
		fmt.Fprintf(e.stdout, "Certificate valid until %s%s.\n", res.CertificateNotAfter.UTC().Format(time.DateOnly), warn)
	}
	if set.Calendar.Enabled {
		fmt.Fprintln(e.stdout, "The calendar needs Calendars.ReadBasic (Application); the daemon says so once if it is missing, and presence works without it.")
	}
	tellDaemon(ctx, e)
	return exitOK, true
}

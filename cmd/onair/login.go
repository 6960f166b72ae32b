package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/onair-dev/onair/daemon"
	"github.com/onair-dev/onair/daemon/auth"
)

func cmdLogin(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "login", "[--browser]")
	browser := fs.Bool("browser", false, "sign in with the system browser (loopback redirect) instead of a device code")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	a, code := e.authClient()
	if a == nil {
		return code
	}
	var acct auth.Account
	var err error
	if *browser {
		fmt.Fprintln(e.stderr, "Opening your browser to sign in…")
		acct, err = a.LoginBrowser(ctx, auth.BrowserOptions{})
	} else {
		acct, err = a.LoginDeviceCode(ctx, func(dc auth.DeviceCode) {
			fmt.Fprintln(e.stderr, dc.Message)
		})
	}
	if err != nil {
		return fail(e, fmt.Errorf("sign-in failed: %w", err))
	}
	fmt.Fprintf(e.stdout, "Signed in as %s.\n", acct.Username)
	if e.system {
		fmt.Fprintf(e.stdout, "Tokens are in %s; the system service reads them from there.\n", e.paths().TokenCache)
	}
	// Tell a running daemon so that it recovers at once rather than at
	// its next retry.
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := daemon.NewClient(e.paths().Socket).PollNow(pctx); err == nil {
		fmt.Fprintln(e.stdout, "The running daemon picked up the new sign-in.")
	}
	return exitOK
}

func cmdLogout(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "logout", "")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	a, code := e.authClient()
	if a == nil {
		return code
	}
	if err := a.Logout(ctx); err != nil {
		return fail(e, err)
	}
	fmt.Fprintln(e.stdout, "Signed out; cached tokens deleted.")
	return exitOK
}

// authClient builds the sign-in client from the config. On failure it has
// printed the error and returns the exit code.
func (e *env) authClient() (*auth.Client, int) {
	cfg, err := e.loadConfig()
	if err != nil {
		return nil, fail(e, err)
	}
	log, err := e.logger(cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		return nil, fail(e, err)
	}
	a, err := daemon.NewAuth(cfg, e.paths(), &http.Client{Timeout: 30 * time.Second}, log.With("component", "auth"))
	if errors.Is(err, auth.ErrNoClientID) {
		fmt.Fprintf(e.stderr, "onair: %v\n\nPut it in %s:\n\n  version: 1\n  graph:\n    client_id: 00000000-0000-0000-0000-000000000000\n", err, e.paths().Config)
		return nil, exitFailure
	}
	if err != nil {
		return nil, fail(e, err)
	}
	return a, 0
}

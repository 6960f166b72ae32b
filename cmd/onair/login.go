package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"time"

	"github.com/onair-dev/onair/daemon"
	"github.com/onair-dev/onair/daemon/auth"
	"github.com/onair-dev/onair/mapping"
)

func cmdLogin(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "login", "[--browser]")
	browser := fs.Bool("browser", false, "sign in with the system browser (loopback redirect) instead of a device code")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if !noArgs(e, fs, "login") {
		return exitUsage
	}
	if code, ok := loginApp(ctx, e); ok {
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
	tellDaemon(ctx, e)
	return exitOK
}

// tellDaemon asks a running daemon to poll at once, so that it recovers now
// rather than at its next retry, and says whether it did: a daemon that
// still cannot get presence says why.
func tellDaemon(ctx context.Context, e *env) {
	c := daemon.NewClient(e.paths().Socket)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.PollNow(ctx); err != nil {
		return // no daemon running: nothing to tell
	}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var st daemon.Status
	for {
		var err error
		st, err = c.Status(ctx)
		if err == nil && stateText(st.Health.State) == mapping.StateNormal.String() && st.Health.LastSuccess.After(time.Now().Add(-10*time.Second)) {
			fmt.Fprintln(e.stdout, "The running daemon picked up the new sign-in.")
			return
		}
		select {
		case <-ctx.Done():
			fmt.Fprintf(e.stdout, "The running daemon has not recovered yet (health %s", stateText(st.Health.State))
			if st.Health.Remedy != "" {
				fmt.Fprintf(e.stdout, ": %s", st.Health.Remedy)
			}
			fmt.Fprintln(e.stdout, "); see `onair status`.")
			return
		case <-tick.C:
		}
	}
}

func cmdLogout(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "logout", "")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if !noArgs(e, fs, "logout") {
		return exitUsage
	}
	a, err := e.newAuthClient()
	if errors.Is(err, auth.ErrNoClientID) {
		// Signing out needs no app registration: without one there is
		// nothing to tell Entra ID, only the token cache to delete.
		return removeTokenCache(e)
	}
	if err != nil {
		return fail(e, err)
	}
	if err := a.Logout(ctx); err != nil {
		return fail(e, fmt.Errorf("sign-out failed: %w", err))
	}
	fmt.Fprintln(e.stdout, "Signed out; cached tokens deleted.")
	return exitOK
}

// removeTokenCache deletes the token cache file, for logout without a
// client ID.
func removeTokenCache(e *env) int {
	path := e.paths().TokenCache
	switch err := os.Remove(path); {
	case errors.Is(err, fs.ErrNotExist):
		fmt.Fprintf(e.stdout, "Not signed in: there is no token cache at %s.\n", path)
	case err != nil:
		return fail(e, fmt.Errorf("delete the token cache: %w", err))
	default:
		fmt.Fprintf(e.stdout, "Signed out; deleted the token cache %s.\n", path)
	}
	return exitOK
}

// authClient builds the sign-in client from the config. On failure it has
// printed the error and returns the exit code.
func (e *env) authClient() (*auth.Client, int) {
	a, err := e.newAuthClient()
	if errors.Is(err, auth.ErrNoClientID) {
		fmt.Fprintf(e.stderr, "onair: %v\n\nPut it in %s:\n\n  version: 1\n  graph:\n    client_id: 00000000-0000-0000-0000-000000000000\n", err, e.paths().Config)
		return nil, exitFailure
	}
	if err != nil {
		return nil, fail(e, err)
	}
	return a, 0
}

// newAuthClient builds the sign-in client from the config.
func (e *env) newAuthClient() (*auth.Client, error) {
	cfg, err := e.loadConfig()
	if err != nil {
		return nil, err
	}
	log, err := e.logger(cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		return nil, err
	}
	return daemon.NewAuth(cfg, e.paths(), &http.Client{Timeout: 30 * time.Second}, log.With("component", "auth"))
}

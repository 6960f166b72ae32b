package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"

	"github.com/onair-dev/onair/cmd/onair/tray"
	"github.com/onair-dev/onair/daemon"
)

// cmdTray is `onair tray`: the status-area icon of the logged-in user. It
// needs a running daemon only to show a colour; without one it shows the
// "not running" icon and keeps asking.
func cmdTray(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "tray", "")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if !noArgs(e, fs, "tray") {
		return exitUsage
	}
	log, err := e.logger("", "")
	if err != nil {
		fmt.Fprintf(e.stderr, "onair tray: %v\n", err)
		return exitUsage
	}
	if inMain {
		scheduleRelease(log) // on Linux, gives back the binary's start-up pages
	}
	err = tray.Run(ctx, tray.Options{
		Client:  daemon.NewClient(e.paths().Socket),
		OpenURL: openURL,
		SignIn:  func(ctx context.Context) error { return signIn(ctx, e) },
		Logger:  log.With("component", "tray"),
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		return fail(e, err)
	}
	return exitOK
}

// signIn runs `onair login --browser` with the tray's global flags, so the
// tokens land where the daemon the tray watches reads them, and the login
// command tells that daemon to poll at once.
func signIn(ctx context.Context, e *env) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("sign in: find onair: %w", err)
	}
	c := exec.CommandContext(ctx, exe, loginArgs(e)...)
	c.Stdout, c.Stderr = e.stderr, e.stderr
	if err := c.Run(); err != nil {
		return fmt.Errorf("sign in: `onair login --browser` failed (%w); run it in a terminal to see why", err)
	}
	return nil
}

// loginArgs are the arguments of the sign-in command for the tray's
// global flags.
func loginArgs(e *env) []string {
	var args []string
	if e.system {
		args = append(args, "--system")
	}
	if e.configPath != "" {
		args = append(args, "--config", e.configPath)
	}
	return append(args, "login", "--browser")
}

// openURL opens url in the user's browser with the desktop's own opener
// and does not wait for the browser.
func openURL(url string) error {
	var c *exec.Cmd
	switch runtime.GOOS {
	case "windows":
		c = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	case "darwin":
		c = exec.Command("open", url)
	default:
		c = exec.Command("xdg-open", url)
	}
	if err := c.Start(); err != nil {
		return fmt.Errorf("open %s: %w", url, err)
	}
	go c.Wait() // reap the opener; its exit status says nothing useful
	return nil
}

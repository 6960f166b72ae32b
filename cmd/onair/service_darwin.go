package main

import (
	"errors"
	"log/slog"
	"os"

	"github.com/kardianos/service"
)

// checkInstallRights refuses root: a LaunchAgent belongs to the user who
// logs in, and sudo would install it into root's home.
func checkInstallRights(s serviceSpec) error {
	if os.Geteuid() == 0 {
		return errors.New("run it as yourself, not with sudo: the LaunchAgent goes into your ~/Library/LaunchAgents and runs in your login session")
	}
	return nil
}

// prepareInstall has nothing to prepare on macOS: kardianos creates
// ~/Library/LaunchAgents and launchd creates the log file.
func prepareInstall(*env, serviceSpec) (func(), error) { return nil, nil }

// preflight has nothing to check on macOS.
func preflight(serviceSpec) error { return nil }

// afterInstall has nothing to add on macOS.
func afterInstall(service.Service, serviceSpec) error { return nil }

// serviceLogger sends the logs to syslog (the unified log: Console.app,
// `log show`) when launchd runs onair; in a terminal it keeps stderr.
func serviceLogger(log *slog.Logger) *slog.Logger { return systemLogger(log) }

// watchDaemonExit has nothing to do on macOS: RunWait ends when the daemon
// does.
func watchDaemonExit(service.Service, *program) {}

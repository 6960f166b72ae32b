package main

import (
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"regexp"

	"github.com/kardianos/service"
)

// checkInstallRights refuses root: a LaunchAgent belongs to the user who
// logs in, and sudo would install it into root's home.
func checkInstallRights(serviceSpec) error {
	if os.Geteuid() == 0 {
		return errors.New("run it as yourself, not with sudo: the LaunchAgent goes into your ~/Library/LaunchAgents and runs in your login session")
	}
	return nil
}

// preflight has nothing to check on macOS.
func preflight(serviceSpec) error { return nil }

func startService(s serviceSpec) error { return run1([]string{"launchctl", "load", s.Path}) }

// stop unloads the agent; an agent that is not loaded is stopped already.
func (s serviceSpec) stop() error {
	if _, loaded := launchctlList(); !loaded {
		return nil
	}
	return run1([]string{"launchctl", "unload", s.Path})
}

var launchdPID = regexp.MustCompile(`"PID" = ([0-9]+);`)

// launchctlList asks launchd about the agent: running has a PID, loaded
// is known to launchd at all.
func launchctlList() (running, loaded bool) {
	out, err := exec.Command("launchctl", "list", serviceName).Output()
	return launchdPID.Match(out), err == nil
}

// queryService asks launchd about s. It never fails.
func queryService(s serviceSpec) serviceState {
	st := serviceState{Spec: s}
	st.Installed, _ = s.isInstalled()
	st.Running, _ = launchctlList()
	return st
}

// lastLogLines: the unified log needs `log show`, which takes seconds; the
// hint names it instead.
func lastLogLines(serviceSpec) string { return "" }

// serviceLogger sends the logs to syslog (the unified log: Console.app,
// `log show`) when launchd runs onair; in a terminal it keeps stderr.
func serviceLogger(log *slog.Logger) *slog.Logger { return systemLogger(log) }

// watchDaemonExit has nothing to do on macOS: RunWait ends when the daemon
// does.
func watchDaemonExit(service.Service, *program) {}

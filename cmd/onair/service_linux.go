package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/kardianos/service"
)

// checkInstallRights refuses early, before anything changes: the system
// unit needs root; the user unit needs the user's systemd session bus,
// which sudo and su do not carry.
func checkInstallRights(s serviceSpec) error {
	if s.System {
		if os.Geteuid() != 0 {
			return errors.New("the system service needs root: run it with sudo (sudo onair service install --system)")
		}
		return nil
	}
	rt := os.Getenv("XDG_RUNTIME_DIR")
	if rt == "" {
		return errors.New("no systemd user session (XDG_RUNTIME_DIR is not set; under sudo or su?): run it as your own user in a login session, or use --system for a headless machine")
	}
	// systemctl --user reaches the manager through its private socket or
	// the session bus.
	for _, sock := range []string{filepath.Join(rt, "systemd", "private"), filepath.Join(rt, "bus")} {
		if _, err := os.Stat(sock); err == nil {
			return nil
		}
	}
	return fmt.Errorf("no systemd user session bus at %s: log in as the user (not sudo/su), or on a headless machine run 'sudo loginctl enable-linger %s' first, or use --system", filepath.Join(rt, "bus"), currentUser())
}

// preflight refuses what would fail halfway: systemd not running, a
// binary the system unit cannot see, a masked unit.
func preflight(s serviceSpec) error {
	// sd_booted(3): systemd is PID 1 when this directory exists.
	if _, err := os.Stat("/run/systemd/system"); err != nil {
		return errors.New("systemd is not running on this machine; onair installs systemd units only: 'onair service install --dry-run' prints the unit, or run 'onair run' from your init system")
	}
	if s.System {
		for _, dir := range []string{"/home/", "/root/", "/run/user/"} {
			if strings.HasPrefix(s.Executable, dir) {
				return fmt.Errorf("%s is under a home directory, which the system unit cannot see (ProtectHome=yes): install the binary first, e.g. sudo install -m 0755 %s /usr/local/bin/onair, and run that copy", s.Executable, s.Executable)
			}
		}
	}
	if state := s.show("UnitFileState")["UnitFileState"]; strings.HasPrefix(state, "masked") {
		ctl := s.systemctl("unmask").line
		return fmt.Errorf("%s.service is %s: unmask it first (%s)", serviceName, state, ctl)
	}
	return nil
}

// show returns the unit's properties from systemctl show (empty when
// systemctl fails).
func (s serviceSpec) show(props ...string) map[string]string {
	argv := []string{"show", serviceName + ".service"}
	if !s.System {
		argv = append([]string{"--user"}, argv...)
	}
	for _, p := range props {
		argv = append(argv, "-p", p)
	}
	out, _ := exec.Command("systemctl", argv...).Output()
	m := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	return m
}

func startService(s serviceSpec) error { return s.systemctl("start").do() }

func (s serviceSpec) stop() error { return s.systemctl("stop").do() }

// queryService asks systemd about s. It never fails: what it cannot find
// out goes into Detail.
func queryService(s serviceSpec) serviceState {
	st := serviceState{Spec: s}
	st.Installed, _ = s.isInstalled()
	p := s.show("LoadState", "ActiveState", "SubState")
	switch {
	case p["LoadState"] == "":
		if st.Installed {
			st.Detail = "unknown: '" + s.systemctl("show").line + "' answers nothing (is systemd running?)"
		}
	case p["ActiveState"] == "active" || p["ActiveState"] == "reloading":
		st.Running = true
	case p["ActiveState"] == "failed" || p["SubState"] == "auto-restart":
		st.Detail = "failed (it crashed or could not start: " + s.logHint() + ")"
	case p["ActiveState"] == "activating":
		st.Starting = true
	}
	if !st.Installed && !st.Running && st.Detail == "" && !s.System {
		// The user query found nothing: say so if the system unit exists.
		sys := s
		sys.System, sys.Path = true, "/etc/systemd/system/"+serviceName+".service"
		if ok, _ := sys.isInstalled(); ok {
			st.Other = " --system"
		}
	}
	return st
}

// lastLogLines is the unit's last journal lines.
func lastLogLines(s serviceSpec) string {
	argv := []string{"-u", serviceName, "-n", "5", "-o", "cat", "--no-pager"}
	if !s.System {
		argv = append([]string{"--user"}, argv...)
	}
	out, _ := exec.Command("journalctl", argv...).Output()
	return strings.TrimSpace(string(out))
}

// reportFailure has nothing to add on Linux: the daemon's error goes to
// stderr, which journald keeps with the unit.
func reportFailure(error) {}

// watchDaemonExit has nothing to do on Linux: RunWait ends when the daemon
// does.
func watchDaemonExit(service.Service, *program) {}

// serviceLogger keeps the logger cli.go chose: under systemd stderr is not
// a terminal, so it is JSON, and journald stores it with the unit.
func serviceLogger(log *slog.Logger) *slog.Logger { return log }

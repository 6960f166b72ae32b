package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
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

// prepareInstall creates what the unit needs before kardianos writes it:
// for the system unit the plugdev group and the onair user (only if they do
// not exist; undo removes what it created).
func prepareInstall(e *env, s serviceSpec) (undo func(), err error) {
	if !s.System {
		return nil, nil
	}
	if protectedHome(s.Executable) {
		return nil, fmt.Errorf("%s is under a home directory, which the system unit cannot see (ProtectHome=yes): install the binary first, e.g. sudo install -m 0755 %s /usr/local/bin/onair, and run that copy", s.Executable, s.Executable)
	}
	var undos []func()
	undo = func() {
		for i := len(undos) - 1; i >= 0; i-- {
			undos[i]()
		}
	}
	if _, err := user.LookupGroup(serviceGroup); err != nil {
		if err := runLogged(e, groupaddArgs()); err != nil {
			return undo, err
		}
		undos = append(undos, func() { _ = runLogged(e, []string{"groupdel", serviceGroup}) })
	}
	if _, err := user.Lookup(serviceAccount); err != nil {
		if err := runLogged(e, useraddArgs()); err != nil {
			return undo, err
		}
		undos = append(undos, func() { _ = runLogged(e, []string{"userdel", serviceAccount}) })
	}
	return undo, nil
}

// protectedHome reports whether path is where ProtectHome=yes hides it.
func protectedHome(path string) bool {
	for _, dir := range []string{"/home/", "/root/", "/run/user/"} {
		if strings.HasPrefix(path, dir) {
			return true
		}
	}
	return false
}

// runLogged runs a command, saying so on stderr.
func runLogged(e *env, argv []string) error {
	fmt.Fprintf(e.stderr, "running: %s\n", strings.Join(argv, " "))
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", argv[0], err, strings.TrimSpace(string(out)))
	}
	return nil
}

// preflight refuses a masked unit: systemctl enable would fail on it, and
// kardianos does not pass systemctl's message on.
func preflight(s serviceSpec) error {
	args := []string{"is-enabled", serviceName + ".service"}
	if !s.System {
		args = append([]string{"--user"}, args...)
	}
	out, _ := exec.Command("systemctl", args...).Output()
	if state := strings.TrimSpace(string(out)); strings.HasPrefix(state, "masked") {
		return fmt.Errorf("%s.service is %s: unmask it first (systemctl%s unmask %s.service)", serviceName, state, userFlag(s), serviceName)
	}
	return nil
}

// afterInstall has nothing to add on Linux: kardianos enabled the unit.
func afterInstall(service.Service, serviceSpec) error { return nil }

// serviceLogger keeps the logger cli.go chose: under systemd stderr is not
// a terminal, so it is JSON, and journald stores it with the unit.
func serviceLogger(log *slog.Logger) *slog.Logger { return log }

// watchDaemonExit has nothing to do on Linux: RunWait ends when the daemon
// does.
func watchDaemonExit(service.Service, *program) {}

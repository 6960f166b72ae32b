package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"

	"github.com/kardianos/service"
	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc/mgr"
)

// checkInstallRights refuses early without administrator rights: the SCM
// and %ProgramData% need them.
func checkInstallRights(serviceSpec) error {
	if !windows.GetCurrentProcessToken().IsElevated() {
		return errors.New("installing or removing a Windows service needs administrator rights: run it from an elevated prompt (Run as administrator)")
	}
	return nil
}

// prepareInstall creates %ProgramData%\onair, where the service (running
// as LocalSystem) reads its config and token cache, and closes it to
// everyone but SYSTEM and Administrators: ProgramData is readable by all
// users by default. undo removes the directory only if it created it and it
// is still empty.
func prepareInstall(e *env, s serviceSpec) (func(), error) {
	var undo func()
	if _, err := os.Stat(s.DataDir); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(s.DataDir, 0o700); err != nil {
			return nil, err
		}
		undo = func() { _ = os.Remove(s.DataDir) }
	}
	argv := icaclsArgs(s.DataDir)
	fmt.Fprintf(e.stderr, "running: %s\n", windowsCommandLine(argv))
	if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
		return undo, fmt.Errorf("icacls: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return undo, nil
}

// preflight has nothing to check on Windows.
func preflight(serviceSpec) error { return nil }

// afterInstall makes the recovery action (restart after 5 s, set by
// kardianos from the OnFailure option) apply also when onair exits with an
// error instead of crashing.
func afterInstall(_ service.Service, _ serviceSpec) error {
	m, err := mgr.Connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	s, err := m.OpenService(serviceName)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
		return fmt.Errorf("set failure flag: %w", err)
	}
	return nil
}

// serviceLogger sends the logs to the Windows Event Log (Application log,
// source onair) when the SCM runs onair.
func serviceLogger(log *slog.Logger) *slog.Logger { return systemLogger(log) }

// watchDaemonExit stops the service when the daemon returns by itself
// (e.g. another onair holds the control endpoint): the SCM only ends a
// service through a stop request, and Stop then reports the daemon's error
// so that the SCM's recovery action restarts it.
func watchDaemonExit(svc service.Service, p *program) {
	go func() {
		<-p.done
		p.mu.Lock()
		stopping := p.stopping
		p.mu.Unlock()
		if !stopping {
			_ = svc.Stop()
		}
	}()
}

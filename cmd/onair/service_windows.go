package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/kardianos/service"
	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"
)

// The Windows service is set up with golang.org/x/sys/windows/svc/mgr
// directly, as tailscaled's installer does
// (https://github.com/tailscale/tailscale/blob/main/cmd/tailscaled/install_windows.go):
// CreateService, SetRecoveryActions and
// the non-crash failure flag are one call each, and errors keep their
// Windows error codes. kardianos/service runs the service (service_run.go).

// checkInstallRights refuses early without administrator rights: the SCM
// and %ProgramData% need them.
func checkInstallRights(serviceSpec) error {
	if !windows.GetCurrentProcessToken().IsElevated() {
		return errors.New("installing or removing a Windows service needs administrator rights: run it from an elevated prompt (Run as administrator)")
	}
	return nil
}

// preflight has nothing to check on Windows.
func preflight(serviceSpec) error { return nil }

// openService opens the service with only the rights asked for, so that
// status works without elevation.
func openService(rights uint32) (*mgr.Service, error) {
	h, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_CONNECT)
	if err != nil {
		return nil, explainSCM(err)
	}
	defer windows.CloseServiceHandle(h)
	name, _ := windows.UTF16PtrFromString(serviceName)
	sh, err := windows.OpenService(h, name, rights)
	if err != nil {
		return nil, explainSCM(err)
	}
	return &mgr.Service{Name: serviceName, Handle: sh}, nil
}

func explainSCM(err error) error {
	if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		return fmt.Errorf("the service control manager: %w: run it from an elevated prompt (Run as administrator)", err)
	}
	return err
}

func scmInstalled() (bool, error) {
	s, err := openService(windows.SERVICE_QUERY_STATUS)
	if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	s.Close()
	return true, nil
}

// eventSourceKey is where RegisterEventSource finds the source onair.
const eventSourceKey = `SYSTEM\CurrentControlSet\Services\EventLog\Application\` + serviceName

// scm does one SCM step of the install and uninstall plans
// (service_plan.go).
func scm(s serviceSpec, op string) error {
	switch op {
	case "eventlog":
		// A source left by an earlier install is fine as it is.
		if k, err := registry.OpenKey(registry.LOCAL_MACHINE, eventSourceKey, registry.QUERY_VALUE); err == nil {
			k.Close()
			return nil
		}
		return eventlog.InstallAsEventCreate(serviceName, eventlog.Error|eventlog.Warning|eventlog.Info)
	case "eventlog-remove":
		// Nothing to remove when no source was registered (an install that
		// failed early, or one made by another tool).
		k, err := registry.OpenKey(registry.LOCAL_MACHINE, eventSourceKey, registry.QUERY_VALUE)
		if errors.Is(err, registry.ErrNotExist) {
			return nil
		}
		if err == nil {
			k.Close()
		}
		return eventlog.Remove(serviceName)
	}
	m, err := mgr.Connect()
	if err != nil {
		return explainSCM(err)
	}
	defer m.Disconnect()
	if op == "create" {
		svc, err := m.CreateService(serviceName, s.Executable, mgr.Config{
			DisplayName:      serviceName,
			Description:      serviceDescription,
			StartType:        mgr.StartAutomatic,
			DelayedAutoStart: true,
			ErrorControl:     mgr.ErrorNormal,
		}, s.Args...)
		if err != nil {
			return explainSCM(err)
		}
		return svc.Close()
	}
	svc, err := m.OpenService(serviceName)
	if err != nil {
		return explainSCM(err)
	}
	defer svc.Close()
	switch op {
	case "recovery":
		return svc.SetRecoveryActions([]mgr.RecoveryAction{{Type: mgr.ServiceRestart, Delay: windowsRestartDelay}}, windowsResetPeriod)
	case "failureflag":
		// The recovery action then applies also when onair exits with an
		// error instead of crashing.
		return svc.SetRecoveryActionsOnNonCrashFailures(true)
	case "delete":
		return svc.Delete()
	}
	return fmt.Errorf("unknown SCM step %q", op)
}

func startService(serviceSpec) error {
	s, err := openService(windows.SERVICE_START)
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Start()
}

// stop asks a running service to stop and waits until it has; the daemon
// needs stopTimeout for its exit actions.
func (serviceSpec) stop() error {
	s, err := openService(windows.SERVICE_STOP | windows.SERVICE_QUERY_STATUS)
	if err != nil {
		return err
	}
	defer s.Close()
	st, err := s.Query()
	if err != nil || st.State == svc.Stopped {
		return err
	}
	if st.State != svc.StopPending {
		if st, err = s.Control(svc.Stop); err != nil {
			return err
		}
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(stopTimeout + 10*time.Second)
	for st.State != svc.Stopped {
		if time.Now().After(deadline) {
			return fmt.Errorf("the service did not stop within %s", stopTimeout+10*time.Second)
		}
		<-tick.C
		if st, err = s.Query(); err != nil {
			return err
		}
	}
	return nil
}

// queryService asks the SCM about the service. It never fails: what it
// cannot find out goes into Detail.
func queryService(sp serviceSpec) serviceState {
	st := serviceState{Spec: sp}
	var err error
	if st.Installed, err = scmInstalled(); err != nil || !st.Installed {
		if err != nil {
			st.Detail = err.Error()
		}
		return st
	}
	s, err := openService(windows.SERVICE_QUERY_STATUS)
	if err != nil {
		st.Detail = err.Error()
		return st
	}
	defer s.Close()
	q, err := s.Query()
	switch {
	case err != nil:
		st.Detail = err.Error()
	case q.State == svc.Running:
		st.Running = true
	case q.State == svc.StartPending:
		st.Starting = true
	case q.Win32ExitCode == uint32(windows.ERROR_SERVICE_SPECIFIC_ERROR):
		st.Detail = fmt.Sprintf("failed (onair exited with code %d: %s)", q.ServiceSpecificExitCode, sp.logHint())
	case q.Win32ExitCode == uint32(windows.ERROR_SERVICE_NEVER_STARTED):
		// Installed and not started since boot: stopped, not failed.
	case q.Win32ExitCode != 0:
		st.Detail = fmt.Sprintf("failed (%v: %s)", windows.Errno(q.Win32ExitCode), sp.logHint())
	}
	return st
}

// lastLogLines is the newest Event Log messages of source onair, oldest
// first: where the service's reasons go (the SCM discards stderr).
func lastLogLines(serviceSpec) string {
	out, err := exec.Command("wevtutil", "qe", "Application", "/q:*[System[Provider[@Name='"+serviceName+"']]]", "/c:3", "/rd:true", "/f:text").Output()
	if err != nil {
		return ""
	}
	var msgs []string
	for _, ev := range strings.Split(string(out), "Event[")[1:] {
		if _, d, ok := strings.Cut(ev, "Description:"); ok {
			msgs = append(msgs, strings.TrimSpace(d))
		}
	}
	slices.Reverse(msgs)
	return strings.Join(msgs, "\n")
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

//go:build !linux && !darwin && !windows

package main

import (
	"fmt"
	"log/slog"
	"runtime"

	"github.com/kardianos/service"
)

// cmdService refuses real installs on other systems before these are
// reached; they exist so the command builds everywhere.

var errUnsupported = fmt.Errorf("services are not supported on %s", runtime.GOOS)

func checkInstallRights(serviceSpec) error { return errUnsupported }

func preflight(serviceSpec) error { return errUnsupported }

func startService(serviceSpec) error { return errUnsupported }

func (serviceSpec) stop() error { return errUnsupported }

func queryService(s serviceSpec) serviceState {
	return serviceState{Spec: s, Detail: errUnsupported.Error()}
}

func lastLogLines(serviceSpec) string { return "" }

func serviceLogger(log *slog.Logger) *slog.Logger { return log }

func reportFailure(error) {}

func watchDaemonExit(service.Service, *program) {}

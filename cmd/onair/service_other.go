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

func checkInstallRights(serviceSpec) error {
	return fmt.Errorf("installing a service is not supported on %s", runtime.GOOS)
}

func prepareInstall(*env, serviceSpec) (func(), error) { return nil, nil }

func preflight(serviceSpec) error { return nil }

func afterInstall(service.Service, serviceSpec) error { return nil }

func serviceLogger(log *slog.Logger) *slog.Logger { return log }

func watchDaemonExit(service.Service, *program) {}

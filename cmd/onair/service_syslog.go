//go:build darwin || windows

package main

import (
	"log/slog"

	"github.com/kardianos/service"
)

// systemLogger sends the logs to the system log through kardianos (syslog
// on macOS, the Event Log on Windows) when the service manager runs onair;
// in a terminal, or when the system log is unavailable, it keeps log.
func systemLogger(log *slog.Logger) *slog.Logger {
	if service.Interactive() {
		return log
	}
	svc, err := service.New(&program{}, &service.Config{Name: serviceName})
	if err != nil {
		return log
	}
	l, err := svc.Logger(nil)
	if err != nil {
		log.Warn("system log unavailable; logging to stderr", "err", err)
		return log
	}
	return slog.New(newServiceLogHandler(l, log.Handler()))
}

//go:build darwin || windows

package main

import (
	"log/slog"

	"github.com/kardianos/service"
)

// systemLog is the system log through kardianos (syslog on macOS, the
// Event Log, source onair, on Windows), or nil in a terminal or when it
// is unavailable.
func systemLog() (service.Logger, error) {
	if service.Interactive() {
		return nil, nil
	}
	svc, err := service.New(&program{}, &service.Config{Name: serviceName})
	if err != nil {
		return nil, err
	}
	return svc.Logger(nil)
}

// systemLogger sends the logs to the system log when the service manager
// runs onair; in a terminal, or when the system log is unavailable, it
// keeps log.
func systemLogger(log *slog.Logger) *slog.Logger {
	l, err := systemLog()
	if err != nil {
		log.Warn("system log unavailable; logging to stderr", "err", err)
	}
	if l == nil {
		return log
	}
	return slog.New(newServiceLogHandler(l, log.Handler()))
}

// reportFailure writes why the daemon stopped to the system log: the SCM
// discards stderr, and `onair service start` reads the reason from there.
func reportFailure(err error) {
	if l, _ := systemLog(); l != nil {
		_ = l.Error("onair stopped: " + err.Error())
	}
}

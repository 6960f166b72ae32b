//go:build !((linux || freebsd || openbsd || netbsd) && !android) && (!darwin || cgo)

package tray

import "log/slog"

// preflight has nothing to check where the status area is part of the OS
// (Windows, macOS).
func preflight(*slog.Logger) error { return nil }

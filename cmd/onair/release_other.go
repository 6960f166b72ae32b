//go:build !linux

package main

import "log/slog"

// scheduleRelease does nothing: giving back the binary's start-up pages
// (release_linux.go) uses Linux's madvise(2) MADV_PAGEOUT.
func scheduleRelease(*slog.Logger) {}

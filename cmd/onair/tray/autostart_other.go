//go:build !((linux || freebsd || openbsd || netbsd || dragonfly) && !android) && !darwin && !windows

package tray

func installAutostart(Autostart) error   { return ErrAutostartUnsupported }
func uninstallAutostart(Autostart) error { return ErrAutostartUnsupported }

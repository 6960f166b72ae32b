//go:build (linux || freebsd || openbsd || netbsd || dragonfly) && !android

package tray

func installAutostart(a Autostart) error   { return writeFile(a) }
func uninstallAutostart(a Autostart) error { return removeFile(a) }

package tray

// installAutostart writes the LaunchAgent; launchd reads it at the next
// login (`launchctl bootstrap gui/$(id -u) PATH` starts it now).
func installAutostart(a Autostart) error   { return writeFile(a) }
func uninstallAutostart(a Autostart) error { return removeFile(a) }

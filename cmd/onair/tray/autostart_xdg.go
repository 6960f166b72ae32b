//go:build (linux || freebsd || openbsd || netbsd || dragonfly) && !android

package tray

func autostartEntry(exe string, args []string) (Autostart, error) {
	p, err := xdgAutostartPath()
	if err != nil {
		return Autostart{}, err
	}
	return Autostart{Path: p, Content: desktopEntry(exe, args)}, nil
}

func installAutostart(a Autostart) error   { return writeFile(a) }
func uninstallAutostart(a Autostart) error { return removeFile(a) }

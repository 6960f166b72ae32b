package tray

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows/registry"
)

const runSubkey = `Software\Microsoft\Windows\CurrentVersion\Run`

// installAutostart sets the Run value; Explorer starts it at the next logon
// (https://learn.microsoft.com/en-us/windows/win32/setupapi/run-and-runonce-registry-keys).
func installAutostart(a Autostart) error {
	k, _, err := registry.CreateKey(registry.CURRENT_USER, runSubkey, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf("tray: autostart: open %s: %w", runKeyPath, err)
	}
	defer k.Close()
	if err := k.SetStringValue(RunValueName, a.Content); err != nil {
		return fmt.Errorf("tray: autostart: set %s: %w", a.Path, err)
	}
	return nil
}

func uninstallAutostart(a Autostart) error {
	k, err := registry.OpenKey(registry.CURRENT_USER, runSubkey, registry.SET_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("tray: remove autostart: open %s: %w", runKeyPath, err)
	}
	defer k.Close()
	if err := k.DeleteValue(RunValueName); err != nil && !errors.Is(err, registry.ErrNotExist) {
		return fmt.Errorf("tray: remove autostart: %w", err)
	}
	return nil
}

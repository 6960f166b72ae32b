//go:build ((linux || freebsd || openbsd || netbsd || dragonfly) && !android) || darwin

package tray

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// writeFile writes an autostart file, creating its directory.
func writeFile(a Autostart) error {
	if err := os.MkdirAll(filepath.Dir(a.Path), 0o755); err != nil {
		return fmt.Errorf("tray: autostart: %w", err)
	}
	if err := os.WriteFile(a.Path, []byte(a.Content), 0o644); err != nil {
		return fmt.Errorf("tray: autostart: %w", err)
	}
	return nil
}

func removeFile(a Autostart) error {
	if err := os.Remove(a.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("tray: remove autostart: %w", err)
	}
	return nil
}

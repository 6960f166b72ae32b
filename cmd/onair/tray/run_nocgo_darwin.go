//go:build darwin && !cgo

package tray

import "context"

// Run returns ErrNeedsCgo: fyne.io/systray draws the macOS status item with
// Cocoa through cgo, and the release binary for macOS is built without it.
func Run(ctx context.Context, opts Options) error {
	if err := opts.defaults(); err != nil {
		return err
	}
	return ErrNeedsCgo
}

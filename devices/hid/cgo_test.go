//go:build cgo && (linux || darwin || windows)

package hid

import (
	"testing"

	"github.com/onair-dev/onair/devices"
)

// TestEnumerateRuns enumerates the real bus. It needs no light attached:
// it checks that the cgo path works and only returns known lights.
func TestEnumerateRuns(t *testing.T) {
	if !Supported() {
		t.Fatal("Supported() = false in a cgo build")
	}
	infos, err := Enumerate(false)
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range infos {
		if _, err := devices.Lookup(info); err != nil {
			t.Errorf("Enumerate(false) returned unknown %v", info)
		}
	}
}

//go:build !cgo

package hid

import (
	"errors"
	"strings"
	"testing"

	"github.com/onair-dev/onair/devices"
)

func TestNoCgoStub(t *testing.T) {
	if Supported() {
		t.Fatal("Supported() = true without cgo")
	}
	_, err := Enumerate(true)
	if !errors.Is(err, ErrNoUSB) || !errors.Is(err, devices.ErrUnsupported) {
		t.Fatalf("Enumerate = %v, want ErrNoUSB wrapping devices.ErrUnsupported", err)
	}
	if !strings.Contains(err.Error(), "onair was built without USB support (CGO_ENABLED=0); build with cgo to drive USB lights") {
		t.Errorf("message = %q", err)
	}
	_, err = Open(devices.Info{VID: 0x27BB, PID: 0x3BCD, Path: "1-1:1.0"})
	if !errors.Is(err, ErrNoUSB) {
		t.Errorf("Open = %v, want ErrNoUSB", err)
	}
}

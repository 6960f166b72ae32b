//go:build darwin && !cgo

package serial

import (
	"fmt"

	"github.com/onair-dev/onair/devices"
)

// detailedPorts cannot learn USB IDs on macOS without cgo (the enumerator
// uses IOKit), and a port without an ID cannot be matched to a light.
func detailedPorts(func(vid, pid string) bool) ([]port, error) {
	return nil, fmt.Errorf("%w: serial port USB IDs need IOKit; onair was built without cgo (CGO_ENABLED=0)", devices.ErrUnsupported)
}

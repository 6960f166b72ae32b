package daemon

import (
	"errors"
	"fmt"

	"github.com/onair-dev/onair/devices"
	"github.com/onair-dev/onair/devices/hid"
	"github.com/onair-dev/onair/devices/serial"
)

// usbBackend is the real lightBackend: HID lights through devices/hid,
// serial lights through devices/serial.
type usbBackend struct{}

var _ lightBackend = usbBackend{}

// Enumerate implements lightBackend.
func (usbBackend) Enumerate() ([]devices.Info, error) { return EnumerateLights(false) }

// Open implements lightBackend.
func (usbBackend) Open(info devices.Info) (devices.Transport, error) { return OpenLight(info) }

// EnumerateLights lists the USB lights attached now, HID and serial: known
// lights only, or every HID device and USB serial port with all set. When
// one bus cannot be enumerated (a build without cgo has no HID) it returns
// what the other found together with the error.
func EnumerateLights(all bool) ([]devices.Info, error) {
	h, herr := hid.Enumerate(all)
	s, serr := serial.Enumerate(all)
	return append(h, s...), errors.Join(herr, serr)
}

// OpenLight opens the transport of a light from EnumerateLights. A refused
// open is an error whose message says what to do (hid.OpenError: the udev
// rule on Linux, the vendor app on macOS).
func OpenLight(info devices.Info) (devices.Transport, error) {
	switch info.Bus {
	case devices.Serial:
		t, err := serial.Open(info)
		if err != nil {
			return nil, err
		}
		return t, nil
	case devices.HID, "":
		t, err := hid.Open(info)
		if err != nil {
			return nil, err
		}
		return t, nil
	}
	return nil, fmt.Errorf("open %s: unknown bus %q", info, info.Bus)
}

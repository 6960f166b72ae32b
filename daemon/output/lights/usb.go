package lights

import (
	"errors"
	"fmt"

	"github.com/onair-dev/onair/devices"
	"github.com/onair-dev/onair/devices/hid"
	"github.com/onair-dev/onair/devices/serial"
)

// usbBackend is the real Backend: HID lights through devices/hid,
// serial lights through devices/serial.
type usbBackend struct {
	// seen is the bus fingerprint at the last Enumerate; "" when the OS
	// offers none (then every scan enumerates).
	seen string
}

var (
	_ Backend       = (*usbBackend)(nil)
	_ changeWatcher = (*usbBackend)(nil)
)

// Enumerate implements Backend.
func (b *usbBackend) Enumerate() ([]devices.Info, error) {
	b.seen = busFingerprint()
	return Enumerate(false)
}

// Open implements Backend.
func (*usbBackend) Open(info devices.Info) (devices.Transport, error) { return Open(info) }

// Changed implements changeWatcher: whether a USB device may have come or
// gone since the last Enumerate. Listing one sysfs directory costs far less
// than a libusb enumeration, which opens every device's descriptors.
func (b *usbBackend) Changed() bool {
	fp := busFingerprint()
	return fp == "" || fp != b.seen
}

// Enumerate lists the USB lights attached now, HID and serial: known
// lights only, or every HID device and USB serial port with all set. When
// one bus cannot be enumerated (a build without cgo has no HID) it returns
// what the other found together with the error.
func Enumerate(all bool) ([]devices.Info, error) {
	h, herr := hid.Enumerate(all)
	s, serr := serial.Enumerate(all)
	return append(h, s...), errors.Join(herr, serr)
}

// Open opens the transport of a light from Enumerate. A refused
// open is an error whose message says what to do (hid.OpenError: the udev
// rule on Linux, the vendor app on macOS).
func Open(info devices.Info) (devices.Transport, error) {
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

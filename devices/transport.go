package devices

import (
	"errors"
	"time"
)

// Transport carries reports to one opened light. It is implemented by
// devices/hid, devices/serial and devices/devicestest.
//
// The report-ID convention is the hidapi one, the same on every OS: for a HID
// light, the first byte of every buffer passed to Write or SendFeatureReport is
// the report ID, 0x00 when the device declares no numbered reports, followed
// by the report data. A HID transport that talks to a library with a different
// convention (karalabe/hid adds the 0x00 itself on Windows) translates in one
// place. For a serial light the buffer is the bytes to send, unframed.
type Transport interface {
	// Write sends an output report (HID) or raw bytes (serial).
	Write(p []byte) (int, error)
	// SendFeatureReport sends a HID feature report; p[0] is its report ID.
	SendFeatureReport(p []byte) (int, error)
	// ReadTimeout reads one input report (data bytes, without a report-ID
	// byte for devices that have none) into p, waiting at most timeout. It
	// returns 0, nil when nothing arrived in time.
	ReadTimeout(p []byte, timeout time.Duration) (int, error)
	// Close releases the light.
	Close() error
}

// ReportKind says how a report travels to a HID device.
type ReportKind uint8

// Report kinds.
const (
	// Output is an output report (interrupt OUT or SET_REPORT Output); for
	// serial lights it is the raw bytes to write.
	Output ReportKind = iota + 1
	// Feature is a feature report (SET_REPORT Feature on the control
	// endpoint).
	Feature
)

// String returns "output" or "feature".
func (k ReportKind) String() string {
	switch k {
	case Output:
		return "output"
	case Feature:
		return "feature"
	}
	return "invalid"
}

// Report is one buffer a driver wants written. For HID lights Data starts with
// the report ID (0x00 when the device has no numbered reports); see
// [Transport].
type Report struct {
	Kind ReportKind
	Data []byte
}

// ErrUnsupported marks a light that onair recognises but cannot drive here:
// an OS whose HID binding cannot express its reports, a bootloader, a build
// without USB support. The error wrapping it says why.
var ErrUnsupported = errors.New("unsupported")

// ErrUnknownDevice is returned by [Lookup] for a device that is not a known
// busy light.
var ErrUnknownDevice = errors.New("not a known busy light")

// ErrNoInput is returned by [Device.ReadInput] for a light without a button.
var ErrNoInput = errors.New("light has no input")

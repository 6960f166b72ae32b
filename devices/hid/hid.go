// Package hid reaches USB HID busy lights through github.com/karalabe/hid
// (hidapi with libusb on Linux, IOKit on macOS, the HID class driver on
// Windows). It is the only package that imports karalabe/hid.
//
// It enumerates HID devices as [devices.Info] and opens them as a
// [devices.Transport]. It does not know any light's protocol (that is
// package devices) and does not log.
//
// # Report-ID byte
//
// Drivers in package devices write every HID buffer as hidapi expects it on
// every OS: report ID first (00 for devices without numbered reports), then
// the data. karalabe/hid's Write breaks that on Windows only, where it
// prepends a 00 itself; feature reports are passed through unchanged on every
// OS. The translation lives in one function, frame, and is tested per OS.
// A numbered output report (EPOS, ID 01) cannot be written through
// karalabe's Write on Windows at all (it would become report 00); frame
// refuses it with an error wrapping [devices.ErrUnsupported]. See
// devices/PROTOCOLS.md#report-ids-per-os.
//
// # Builds without cgo
//
// karalabe/hid needs cgo. Built with CGO_ENABLED=0 (or on an OS karalabe
// does not support), Enumerate and Open return [ErrNoUSB], which wraps
// [devices.ErrUnsupported], so everything else builds and tests anywhere.
package hid

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/onair-dev/onair/devices"
)

// frame returns the buffer to hand to karalabe/hid for a report in the
// devices convention (report ID, then data) on goos.
func frame(goos string, kind devices.ReportKind, report []byte) ([]byte, error) {
	if len(report) == 0 {
		return nil, errors.New("empty report: want a report-ID byte")
	}
	switch kind {
	case devices.Feature:
		// hid_send_feature_report takes the report ID in byte 0 on every OS
		// and karalabe adds nothing (devices/PROTOCOLS.md#report-ids-per-os).
		return report, nil
	case devices.Output:
		if goos != "windows" {
			// hidapi (libusb, IOKit) strips a 00 report ID itself and sends
			// a non-zero one as part of the report
			// (devices/PROTOCOLS.md#report-ids-per-os).
			return report, nil
		}
		// karalabe prepends 00 on Windows
		// (devices/PROTOCOLS.md#report-ids-per-os): drop ours, and refuse a
		// numbered report that would turn into report 00.
		if report[0] != 0 {
			return nil, fmt.Errorf("output report ID %d on windows: %w: karalabe/hid can only write report 0 there", report[0], devices.ErrUnsupported)
		}
		if len(report) < 2 {
			return nil, errors.New("empty output report")
		}
		return report[1:], nil
	}
	return nil, fmt.Errorf("invalid report kind %d", kind)
}

// ErrNoUSB is returned by Enumerate and Open when this binary cannot reach
// USB HID devices. It wraps devices.ErrUnsupported.
var ErrNoUSB = fmt.Errorf("%w: %s", devices.ErrUnsupported, noUSBReason())

func noUSBReason() string {
	if !cgoEnabled {
		return "onair was built without USB support (CGO_ENABLED=0); build with cgo to drive USB lights"
	}
	return "USB HID is not supported on " + runtime.GOOS
}

package main

import (
	"github.com/onair-dev/onair/devices"
	"github.com/onair-dev/onair/devices/hid"
)

// enumerateHID lists every HID interface through the real transport package
// (all, so that the bench also sees interfaces no driver claims, such as
// BLYNCUSB10's interface 0).
func enumerateHID() ([]devices.Info, error) { return hid.Enumerate(true) }

// openHID opens one interface through the real transport package.
func openHID(info devices.Info) (devices.Transport, error) {
	t, err := hid.Open(info)
	if err != nil {
		return nil, err
	}
	return t, nil
}

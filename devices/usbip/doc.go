// Package usbip is a test bench: a USB/IP server that emulates every busy
// light onair drives, so the real HID stack (karalabe/hid → libusb → usbfs →
// Linux vhci_hcd) can be exercised end to end without hardware.
//
// A [Server] listens on loopback only and exports one [Device] per emulated
// light. Each device answers the standard and HID class control requests
// from descriptors built from its [Profile] (device, configuration, string and
// HID report descriptors with the real report sizes, report IDs, interfaces
// and endpoints), records every interrupt OUT transfer and SET_REPORT as a
// [Record], queues input reports for interrupt IN, holds interrupt IN URBs
// pending until data arrives or the URB is unlinked, and can be unplugged,
// re-plugged, or told to STALL or vanish in the middle of a write.
//
// It is not a general USB/IP implementation: no isochronous or bulk
// transfers, one configuration, HID interfaces only. It is used by the tests
// in this directory (protocol unit tests, and the QEMU end-to-end suite in
// e2e_test.go which boots a Linux guest that attaches the emulated lights
// through vhci_hcd). The guest side lives in the guest subdirectory.
//
// Protocol: Linux Documentation/usb/usbip_protocol.rst; all header fields
// big-endian, USB setup packets little-endian.
package usbip

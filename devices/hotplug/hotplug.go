// Package hotplug tells the daemon when something on the USB bus changed, so
// it enumerates lights when a device arrives or leaves instead of scanning
// every few seconds.
//
// [Watch] returns a channel of [Event]s from the operating system's own
// notifications:
//
//   - Linux: kernel uevents on a NETLINK_KOBJECT_UEVENT socket (the kernel's
//     Documentation/ABI/testing/sysfs-uevent and lib/kobject_uevent.c), read
//     with the standard library's syscall package;
//   - Windows: CM_Register_Notification from cfgmgr32.dll for the HID, USB
//     device and COM port device interface classes;
//   - macOS built with cgo: IOKit matching notifications for USB devices,
//     HID devices and serial ports (watch_darwin.go; the package's only C,
//     compiled here for darwin by .ci/darwin-cgo-check.sh);
//   - elsewhere (the BSDs, macOS without cgo, see watch_other.go): an error
//     wrapping [ErrUnsupported].
//
// When Watch fails, or its channel closes, the caller falls back to a slow
// rescan. An Event is a hint, never a list of devices: one plug-in produces
// several events (the USB device, its interfaces, the hid and hidraw or tty
// nodes), so the caller waits for a short quiet spell ([Settle]) and then
// enumerates once. [Relevant] says which events can concern a known light.
//
// [Fake] stands in for Watch in tests.
//
// The package imports only the standard library and package devices (for the
// registry of known IDs), uses cgo only on macOS, and does no logging.
package hotplug

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/onair-dev/onair/devices"
)

// Action is what happened to a device.
type Action uint8

// Actions.
const (
	// Add: a device, interface or device node appeared (uevent "add" or
	// "bind"; Windows interface arrival).
	Add Action = iota + 1
	// Remove: one went away (uevent "remove" or "unbind"; Windows
	// interface removal).
	Remove
	// Overflow: the OS dropped notifications (the socket buffer filled up);
	// the caller must rescan, as anything may have changed.
	Overflow
)

var actionNames = [...]string{Add: "add", Remove: "remove", Overflow: "overflow"}

// String returns "add", "remove" or "overflow".
func (a Action) String() string {
	if int(a) < len(actionNames) && actionNames[a] != "" {
		return actionNames[a]
	}
	return fmt.Sprintf("Action(%d)", uint8(a))
}

// Event says that something on the USB bus changed.
type Event struct {
	Action Action
	// Subsystem is where the OS reported it: on Linux the uevent subsystem
	// ("usb", "hid", "hidraw", "tty"); on Windows "hid", "usb" or "ports"
	// (the device interface class); on macOS "usb", "hid" or "tty" (an
	// IOUSBHostDevice or IOUSBDevice, an IOHIDDevice, an
	// IOSerialBSDClient).
	Subsystem string
	// HasID reports whether VID and PID are known. Linux tty nodes that are
	// already gone (remove) carry none.
	HasID    bool
	VID, PID uint16
	// Path identifies the device for diagnostics: the sysfs DEVPATH on
	// Linux, the device interface's symbolic link on Windows; empty on
	// macOS.
	Path string
}

// String returns e.g. "add usb 27BB:3BCD /devices/pci0000:00/…/1-1".
func (e Event) String() string {
	id := "????:????"
	if e.HasID {
		id = fmt.Sprintf("%04X:%04X", e.VID, e.PID)
	}
	if e.Action == Overflow {
		return "overflow (events lost; rescan)"
	}
	return fmt.Sprintf("%s %s %s %s", e.Action, e.Subsystem, id, e.Path)
}

// Relevant reports whether e can concern a known light, so that the caller
// should enumerate: an overflow, an event whose VID:PID is in the devices
// registry (any bus), or an event without an ID (the caller cannot tell, so
// it looks).
func Relevant(e Event) bool {
	if e.Action == Overflow || !e.HasID {
		return true
	}
	return Known(e.VID, e.PID)
}

// Known reports whether vid:pid is a row of the devices registry (ignoring
// the product-string and interface narrowing, which need enumeration).
func Known(vid, pid uint16) bool {
	for _, id := range devices.Entries() {
		if id.VID == vid && id.PID == pid {
			return true
		}
	}
	return false
}

// Settle is how long the caller should wait after the last relevant event
// before it enumerates: the kernel sends the hidraw or tty node's "add" a few
// milliseconds after the USB device's, and enumerating once after the burst
// is cheaper than once per event. It is well under the 250 ms in which a
// plugged-in light should light up.
const Settle = 100 * time.Millisecond

// Slow is how often a caller without a working watcher should rescan.
const Slow = 60 * time.Second

// Safety is how often a caller with a working watcher should still rescan,
// in case an event was lost: a full enumeration costs milliseconds of CPU
// (libusb, every tty), as much as an idle daemon's polls of a minute, so
// the net is wide.
const Safety = 5 * time.Minute

// ErrUnsupported is wrapped by Watch's error where the OS offers no
// notifications onair can use, or where they cannot be had (a container
// without netlink). The error says why; the caller rescans every [Slow].
var ErrUnsupported = errors.New("hot-plug notifications unsupported")

// WatchFunc is the signature of [Watch] and [Fake.Watch], for callers that
// take the watcher as a dependency.
type WatchFunc func(ctx context.Context) (<-chan Event, error)

// Watch starts watching the USB bus. The channel delivers events until ctx is
// done or the OS source fails, and is then closed; after an unexpected close
// the caller rescans slowly and may call Watch again. Events are dropped,
// and an [Overflow] event sent instead, when the caller falls behind by more
// than a few hundred events.
func Watch(ctx context.Context) (<-chan Event, error) {
	return watch(ctx)
}

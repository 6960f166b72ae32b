package hotplug

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// uevent is one kernel uevent datagram, as the kernel broadcasts it on
// NETLINK_KOBJECT_UEVENT group 1 (lib/kobject_uevent.c): a header
// "ACTION@DEVPATH" and then NUL-terminated KEY=VALUE pairs, among them
// ACTION, DEVPATH, SUBSYSTEM, SEQNUM and, for USB devices and interfaces
// (drivers/usb/core/driver.c, usb_uevent), PRODUCT=vid/pid/bcdDevice in
// lower-case hex without leading zeros; hid devices add HID_ID=bus:vid:pid
// (drivers/hid/hid-core.c, hid_uevent).
type uevent struct {
	Action, DevPath, Subsystem, DevType string
	Env                                 map[string]string
}

// errLibudev marks a datagram from udevd (group 2, header "libudev"), which
// onair does not subscribe to.
var errLibudev = errors.New("udev message, not a kernel uevent")

// parseUevent parses one kernel uevent datagram.
func parseUevent(b []byte) (uevent, error) {
	fields := bytes.Split(bytes.TrimRight(b, "\x00"), []byte{0})
	if len(fields) == 0 || len(fields[0]) == 0 {
		return uevent{}, errors.New("uevent: empty datagram")
	}
	if bytes.Equal(fields[0], []byte("libudev")) {
		return uevent{}, errLibudev
	}
	action, devpath, ok := strings.Cut(string(fields[0]), "@")
	if !ok || action == "" || devpath == "" {
		return uevent{}, fmt.Errorf("uevent: header %q is not ACTION@DEVPATH", fields[0])
	}
	u := uevent{Action: action, DevPath: devpath, Env: make(map[string]string, len(fields)-1)}
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(string(f), "=")
		if !ok || k == "" {
			return uevent{}, fmt.Errorf("uevent %s: field %q is not KEY=VALUE", fields[0], f)
		}
		u.Env[k] = v
	}
	if a := u.Env["ACTION"]; a != "" && a != action {
		return uevent{}, fmt.Errorf("uevent %s: ACTION=%s disagrees with the header", fields[0], a)
	}
	u.Subsystem = u.Env["SUBSYSTEM"]
	u.DevType = u.Env["DEVTYPE"]
	if u.Subsystem == "" {
		return uevent{}, fmt.Errorf("uevent %s: no SUBSYSTEM", fields[0])
	}
	return u, nil
}

// watched are the subsystems whose events can concern a light: the USB
// device and its interfaces, the HID device, its hidraw node (HID lights
// through hidapi's hidraw backend) and tty nodes (USB CDC serial lights).
var watched = map[string]bool{"usb": true, "hid": true, "hidraw": true, "tty": true}

// toEvent turns a uevent into an Event, or reports false for one onair does
// not care about (another subsystem, "change", "move", "online", "offline",
// a tty that is not a USB device's). sysID looks the VID:PID up in sysfs for
// nodes whose uevent carries none (hidraw, tty); it may be nil.
func toEvent(u uevent, sysID func(devpath string) (vid, pid uint16, ok bool)) (Event, bool) {
	var a Action
	switch u.Action {
	case "add", "bind":
		a = Add
	case "remove", "unbind":
		a = Remove
	default:
		return Event{}, false
	}
	if !watched[u.Subsystem] {
		return Event{}, false
	}
	if u.Subsystem == "tty" && !strings.Contains(u.DevPath, "/usb") {
		// Every USB device lives under a root hub named usbN;
		// virtual consoles, ptys and on-board UARTs are never a light.
		return Event{}, false
	}
	e := Event{Action: a, Subsystem: u.Subsystem, Path: u.DevPath}
	switch {
	case u.Env["PRODUCT"] != "" && u.Subsystem == "usb":
		e.VID, e.PID, e.HasID = parseProduct(u.Env["PRODUCT"])
	case u.Env["HID_ID"] != "":
		e.VID, e.PID, e.HasID = parseHIDID(u.Env["HID_ID"])
	}
	if !e.HasID && u.Subsystem == "hidraw" {
		// .../0003:27BB:3BCD.0001/hidraw/hidraw0: the parent hid device's
		// name is bus:vid:pid.instance (hid-core.c, hid_add_device).
		e.VID, e.PID, e.HasID = hidNameID(u.DevPath)
	}
	if !e.HasID && sysID != nil && a == Add {
		e.VID, e.PID, e.HasID = sysID(u.DevPath)
	}
	return e, true
}

// parseProduct parses PRODUCT=27bb/3bcd/100.
func parseProduct(s string) (vid, pid uint16, ok bool) {
	parts := strings.Split(s, "/")
	if len(parts) != 3 {
		return 0, 0, false
	}
	return hexPair(parts[0], parts[1])
}

// parseHIDID parses HID_ID=0003:000027BB:00003BCD.
func parseHIDID(s string) (vid, pid uint16, ok bool) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return 0, 0, false
	}
	return hexPair(parts[1], parts[2])
}

// hidNameID finds a "bus:VVVV:PPPP.n" element in a hidraw DEVPATH.
func hidNameID(devpath string) (vid, pid uint16, ok bool) {
	for _, el := range strings.Split(devpath, "/") {
		name, _, found := strings.Cut(el, ".")
		parts := strings.Split(name, ":")
		if !found || len(parts) != 3 || len(parts[0]) != 4 || len(parts[1]) != 4 || len(parts[2]) != 4 {
			continue
		}
		if v, p, ok := hexPair(parts[1], parts[2]); ok {
			return v, p, true
		}
	}
	return 0, 0, false
}

func hexPair(a, b string) (uint16, uint16, bool) {
	v, err1 := strconv.ParseUint(a, 16, 32)
	p, err2 := strconv.ParseUint(b, 16, 32)
	if err1 != nil || err2 != nil || v > 0xFFFF || p > 0xFFFF {
		return 0, 0, false
	}
	return uint16(v), uint16(p), true
}

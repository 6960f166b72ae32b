package hid

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/onair-dev/onair/devices"
)

// Conditions an OpenError can carry; check with errors.Is.
var (
	// ErrPermission: Linux refused access to the USB device node. The udev
	// rules in configs/60-onair.rules fix it. An OpenError with it also
	// matches fs.ErrPermission.
	ErrPermission = errors.New("permission denied")
	// ErrInUse: the OS refused to open a light that another program holds
	// (macOS opens HID devices exclusively).
	ErrInUse = errors.New("in use by another program")
)

// udevRulesFile is the name of the installed rules file.
const udevRulesFile = "/etc/udev/rules.d/60-onair.rules"

// OpenError is returned by Open when the OS refuses a light. Its message
// says what the user can do about it.
type OpenError struct {
	Info devices.Info
	// Driver is the light's driver, nil for an unknown device.
	Driver *devices.Driver
	// GOOS is the OS the open ran on.
	GOOS string
	// Node is the Linux usbfs node (/dev/bus/usb/BBB/DDD) when known.
	Node string
	// Err is ErrPermission, ErrInUse or the library's error.
	Err error
}

// Error describes the failure and the remedy.
func (e *OpenError) Error() string {
	name := fmt.Sprintf("%04X:%04X", e.Info.VID, e.Info.PID)
	if e.Driver != nil {
		name = strings.TrimSpace(e.Driver.Vendor + " " + e.Driver.Model(e.Info))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "open %s (%s): ", name, e.Info.Path)
	switch {
	case errors.Is(e.Err, ErrPermission):
		b.WriteString("permission denied")
		if e.Node != "" {
			b.WriteString(" on " + e.Node)
		}
		b.WriteString("; install onair's udev rules (" + udevRulesFile + "): " +
			devices.UdevInstall + ", then unplug and replug the light")
	case errors.Is(e.Err, ErrInUse):
		b.WriteString(e.Err.Error())
		b.WriteString("; " + holderHint(e.Driver, e.GOOS))
	default:
		b.WriteString(e.Err.Error())
		if e.Driver != nil && e.Driver.App != "" {
			b.WriteString(" (is " + e.Driver.App + " running? quit it and try again)")
		}
	}
	return b.String()
}

// holderHint names the program that probably holds the light.
func holderHint(d *devices.Driver, goos string) string {
	app := "the vendor's app"
	if d != nil && d.App != "" {
		app = d.App
	}
	if goos == "darwin" {
		return "macOS gives a USB light to one program at a time; quit " + app + " (or any other program driving the light) and try again"
	}
	return "quit " + app + " (or any other program driving the light) and try again"
}

// Unwrap returns Err.
func (e *OpenError) Unwrap() error { return e.Err }

// Is makes a permission error match fs.ErrPermission too.
func (e *OpenError) Is(target error) bool {
	return target == fs.ErrPermission && errors.Is(e.Err, ErrPermission)
}

// usbfsNode returns the /dev/bus/usb node of a hidapi libusb path
// ("1-2.3:1.0" = bus 1, ports 2.3, configuration 1, interface 0) by reading
// busnum and devnum from sysfs (/sys/bus/usb/devices, whose entries carry the
// same "1-2.3" names).
func usbfsNode(sysfs fs.FS, path string) (string, error) {
	dev, _, ok := strings.Cut(path, ":")
	if !ok || dev == "" || strings.ContainsAny(dev, "/\\") {
		return "", fmt.Errorf("not a libusb path: %q", path)
	}
	num := func(name string) (int, error) {
		b, err := fs.ReadFile(sysfs, dev+"/"+name)
		if err != nil {
			return 0, err
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || n <= 0 || n > 999 {
			return 0, fmt.Errorf("bad %s %q for %s", name, b, dev)
		}
		return n, nil
	}
	bus, err := num("busnum")
	if err != nil {
		return "", err
	}
	devnum, err := num("devnum")
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("/dev/bus/usb/%03d/%03d", bus, devnum), nil
}

package serial

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// sysfs is the sysfs mount; tests point it at a fake tree.
var sysfs = "/sys"

// detailedPorts lists the USB serial ports from sysfs alone, without opening
// any device node. go.bug.st/serial's Linux enumerator opens every /dev/ttyS*
// to tell real UARTs from placeholders (serial_unix.go, nativeGetPortsList),
// which onair would otherwise do at every rescan; a USB light is never a
// ttyS, so looking only at what sysfs says is enough.
//
// A tty is a USB port when its device link leads under a USB device, the
// sysfs directory with idVendor and idProduct (Documentation/ABI/stable/
// sysfs-bus-usb): for cdc_acm the interface's parent (ttyACM*), for
// usb-serial drivers one level further up (ttyUSB*). The strings are read
// only for ports for which probe returns true, as on the other OSes.
func detailedPorts(probe func(vid, pid string) bool) ([]port, error) {
	class := filepath.Join(sysfs, "class", "tty")
	entries, err := os.ReadDir(class)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", class, err)
	}
	var ports []port
	for _, e := range entries {
		// Each entry links to the tty's device directory; every USB
		// device lives under a root hub named usbN, so a link without
		// "/usb" (virtual consoles, ptys, UARTs) is skipped without
		// resolving it. That keeps a rescan to one readlink per tty.
		if target, err := os.Readlink(filepath.Join(class, e.Name())); err != nil || !strings.Contains(target, "/usb") {
			continue
		}
		dev, err := filepath.EvalSymlinks(filepath.Join(class, e.Name(), "device"))
		if err != nil {
			continue // virtual consoles and ptys have no device
		}
		usb, ok := usbDeviceAbove(dev)
		if !ok {
			continue
		}
		vid, err1 := readAttr(usb, "idVendor")
		pid, err2 := readAttr(usb, "idProduct")
		if err1 != nil || err2 != nil {
			continue // unplugged while we looked
		}
		p := port{Name: "/dev/" + e.Name(), IsUSB: true, VID: strings.ToUpper(vid), PID: strings.ToUpper(pid)}
		if probe(vid, pid) {
			p.Serial, _ = readAttr(usb, "serial")
			p.Product, _ = readAttr(usb, "product")
			p.Manufacturer, _ = readAttr(usb, "manufacturer")
		}
		ports = append(ports, p)
	}
	sort.Slice(ports, func(i, j int) bool { return ports[i].Name < ports[j].Name })
	return ports, nil
}

// usbDeviceAbove walks up from a sysfs device directory to the USB device
// that holds it, staying inside /sys/devices.
func usbDeviceAbove(dir string) (string, bool) {
	root := filepath.Join(sysfs, "devices") + string(filepath.Separator)
	for i := 0; i < 4 && strings.HasPrefix(dir, root); i++ {
		if _, err := os.Stat(filepath.Join(dir, "idVendor")); err == nil {
			return dir, true
		}
		dir = filepath.Dir(dir)
	}
	return "", false
}

func readAttr(dir, name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	return strings.TrimSpace(string(b)), err
}

package devices

import (
	"fmt"
	"sort"
	"strings"
)

// Entry is one row of the registry table: a USB Entry, optionally narrowed by
// product string and interface, and the driver that handles it.
type Entry struct {
	VID, PID uint16
	// Product, when set, must occur in the device's product string
	// (case-insensitive). Needed where one VID:PID covers several models
	// (Luxafor) or is shared with unrelated devices.
	Product string
	// Interface is the USB interface the light listens on, or AnyInterface.
	Interface int
	// Model is the human model name.
	Model string
	// Driver handles the light.
	Driver *Driver
	// Unsupported, when set, is why this recognised device cannot be driven
	// (a bootloader); such devices are listed but not opened.
	Unsupported string
}

// AnyInterface in [Entry.Interface] matches every interface.
const AnyInterface = -1

// registry is the one table of known lights, sorted by VID, PID, Product,
// Interface (registry_test.go checks order and uniqueness). VIDs are shared
// between vendors — 04D8 is Microchip (Luxafor and the old Kuando), 20A0 is
// shared by BlinkStick and MuteMe, 16C0 is the V-USB shared range, 303A is
// Espressif — so every row names its PID, and rows narrow by product string
// or interface where devices/PROTOCOLS.md says they must.
var registry = []Entry{
	{0x047F, 0xD005, "", AnyInterface, "Status Indicator", &Plantronics, ""},
	{0x04D8, 0xF372, "", AnyInterface, "unknown model", &Luxafor, ""},
	{0x04D8, 0xF372, "LUXAFOR BT", AnyInterface, "Bluetooth", &Luxafor, ""},
	{0x04D8, 0xF372, "LUXAFOR FLAG", AnyInterface, "Flag", &Luxafor, ""},
	{0x04D8, 0xF372, "LUXAFOR MUTE", AnyInterface, "Mute", &Luxafor, ""},
	{0x04D8, 0xF372, "LUXAFOR ORB", AnyInterface, "Orb", &Luxafor, ""},
	{0x04D8, 0xF848, "", AnyInterface, "Busylight (old, Microchip ID)", &Kuando, ""},
	{0x0E53, 0x2516, "", AnyInterface, "Blynclight", &Embrava, ""},
	{0x0E53, 0x2517, "", AnyInterface, "Blynclight Mini", &Embrava, ""},
	{0x0E53, 0x2519, "", AnyInterface, "Blynclight Mini", &Embrava, ""},
	{0x1130, 0x0001, "", 1, "Blync BLYNCUSB10", &BlyncUSB10, ""},
	{0x1130, 0x0002, "", 1, "Blync BLYNCUSB10", &BlyncUSB10, ""},
	{0x1130, 0x1E00, "", 1, "Blync BLYNCUSB20", &BlyncUSB20, ""},
	{0x1395, 0x0074, "", AnyInterface, "UI 20 BL USB busylight", &EPOS, ""},
	{0x16C0, 0x27DB, "MUTEME", AnyInterface, "MuteMe Original (prototype)", &MuteMe, ""},
	{0x2047, 0x03DF, "", AnyInterface, "fit-statUSB", &FitStatUSB, ""},
	{0x20A0, 0x41E5, "", AnyInterface, "BlinkStick", &BlinkStick, ""},
	{0x20A0, 0x42DA, "", AnyInterface, "MuteMe Original", &MuteMe, ""},
	{0x20A0, 0x42DB, "", AnyInterface, "MuteMe Mini", &MuteMe, ""},
	{0x27B8, 0x01ED, "", AnyInterface, "blink(1)", &Blink1, ""},
	{0x27BB, 0x3BC0, "", AnyInterface, "Busylight bootloader", &Kuando, "the light is in bootloader (firmware update) mode; unplug it and plug it in again"},
	{0x27BB, 0x3BCA, "", AnyInterface, "Busylight Alpha", &Kuando, ""},
	{0x27BB, 0x3BCB, "", AnyInterface, "Busylight UC", &Kuando, ""},
	{0x27BB, 0x3BCC, "", AnyInterface, "Kuando Box", &Kuando, "the Kuando Box is a phone-line sensor, not a light"},
	{0x27BB, 0x3BCD, "", AnyInterface, "Busylight Omega", &Kuando, ""},
	{0x27BB, 0x3BCE, "", AnyInterface, "Busylight Alpha (model 2)", &Kuando, ""},
	{0x27BB, 0x3BCF, "", AnyInterface, "Busylight Omega (model 2)", &Kuando, ""},
	{0x2C0D, 0x0001, "", AnyInterface, "Blynclight", &Embrava, ""},
	{0x2C0D, 0x0002, "", AnyInterface, "Blynclight Plus", &Embrava, ""},
	{0x2C0D, 0x0003, "", AnyInterface, "Blynclight Mini", &Embrava, ""},
	{0x2C0D, 0x000A, "", AnyInterface, "Blynclight Mini", &Embrava, ""},
	{0x2C0D, 0x000C, "", AnyInterface, "Blynclight", &Embrava, ""},
	{0x2C0D, 0x0010, "", AnyInterface, "Blynclight Plus", &Embrava, ""},
	{0x303A, 0x81DF, "", AnyInterface, "Busy Tag", &BusyTag, ""},
	{0x3603, 0x0001, "", AnyInterface, "MuteMe Original", &MuteMe, ""},
	{0x3603, 0x0002, "", AnyInterface, "MuteMe Mini (USB-C)", &MuteMe, ""},
	{0x3603, 0x0003, "", AnyInterface, "MuteMe Mini (USB-A)", &MuteMe, ""},
	{0x3603, 0x0004, "", AnyInterface, "MuteMe Mini", &MuteMe, ""},
}

// Drivers returns every driver, in order of first appearance in the table.
func Drivers() []*Driver {
	var ds []*Driver
	seen := map[*Driver]bool{}
	for _, e := range registry {
		if !seen[e.Driver] {
			seen[e.Driver] = true
			ds = append(ds, e.Driver)
		}
	}
	return ds
}

// Entries returns a copy of the registry table.
func Entries() []Entry {
	return append([]Entry(nil), registry...)
}

// Lookup returns the driver for an enumerated device, or an error wrapping
// [ErrUnknownDevice]. A row that names a product string or an interface wins
// over a row that does not. Recognised but undrivable devices (bootloaders)
// are found too; [Driver.Supported] says they cannot be used.
func Lookup(info Info) (*Driver, error) {
	e, err := lookup(info)
	if err != nil {
		return nil, err
	}
	return e.Driver, nil
}

func lookup(info Info) (*Entry, error) {
	var best *Entry
	bestScore := -1
	for i := range registry {
		e := &registry[i]
		if e.VID != info.VID || e.PID != info.PID {
			continue
		}
		if info.Bus != "" && e.Driver.Bus != info.Bus {
			continue
		}
		score := 0
		if e.Product != "" {
			if !containsFold(info.Product, e.Product) {
				continue
			}
			score += 2
		}
		if e.Interface != AnyInterface {
			if e.Interface != info.Interface {
				continue
			}
			score++
		}
		if score > bestScore {
			best, bestScore = e, score
		}
	}
	if best == nil {
		return nil, fmt.Errorf("%04X:%04X %q: %w", info.VID, info.PID, info.Product, ErrUnknownDevice)
	}
	return best, nil
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToUpper(s), strings.ToUpper(sub))
}

// udevHeader explains the rules file; UdevRules appends one rule per USB ID.
const udevHeader = `# 60-onair.rules: let the logged-in user drive USB busy lights with onair.
#
# Generated from the onair device table (devices.UdevRules in
# github.com/onair-dev/onair/devices); do not edit by hand, regenerate.
#
# onair reaches HID lights through libusb (usbfs, /dev/bus/usb), not hidraw,
# so the HID rules match the USB device itself (SUBSYSTEM=="usb"). Serial
# lights match their tty. TAG+="uaccess" grants the user at the local seat
# access; GROUP="plugdev" grants users without a seat, such as the onair
# system service (SupplementaryGroups=plugdev) or a lingering user on a
# headless Raspberry Pi; MODE="0660" keeps the node closed to everyone else.
#
# Install (then unplug and replug the light):
#   onair lights udev | sudo tee /etc/udev/rules.d/60-onair.rules >/dev/null
#   sudo udevadm control --reload && sudo udevadm trigger
`

// UdevInstall is the shell command that installs the rules UdevRules
// returns, for error messages that tell a user how to fix permissions. It
// needs only the onair binary, not the source tree.
const UdevInstall = "onair lights udev | sudo tee /etc/udev/rules.d/60-onair.rules >/dev/null && " +
	"sudo udevadm control --reload && sudo udevadm trigger"

// UdevRules returns the Linux udev rules that give the logged-in user access
// to every drivable light in the table, one line per USB ID. configs/
// 60-onair.rules is this text; a test keeps them equal.
func UdevRules() string {
	var b strings.Builder
	b.WriteString(udevHeader)
	type key struct{ vid, pid uint16 }
	var keys []key
	models := map[key][]string{}
	drivers := map[key]*Driver{}
	specific := map[key]bool{} // some row names a product string
	for _, e := range registry {
		if e.Unsupported != "" {
			continue
		}
		k := key{e.VID, e.PID}
		if _, ok := drivers[k]; !ok {
			keys = append(keys, k)
			drivers[k] = e.Driver
		}
		if !contains(models[k], e.Model) {
			models[k] = append(models[k], e.Model)
		}
		if e.Product != "" {
			specific[k] = true
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].vid < keys[j].vid || keys[i].vid == keys[j].vid && keys[i].pid < keys[j].pid
	})
	for _, k := range keys {
		d := drivers[k]
		names := models[k]
		if specific[k] {
			// Leave out the catch-all row's model ("unknown model").
			names = nil
			for _, e := range registry {
				if e.VID == k.vid && e.PID == k.pid && e.Product != "" && !contains(names, e.Model) {
					names = append(names, e.Model)
				}
			}
		}
		fmt.Fprintf(&b, "\n# %s %s\n", d.Vendor, strings.Join(names, ", "))
		switch d.Bus {
		case Serial:
			fmt.Fprintf(&b, "SUBSYSTEM==\"tty\", ATTRS{idVendor}==\"%04x\", ATTRS{idProduct}==\"%04x\", MODE=\"0660\", GROUP=\"plugdev\", TAG+=\"uaccess\"\n", k.vid, k.pid)
		default:
			fmt.Fprintf(&b, "SUBSYSTEM==\"usb\", ATTR{idVendor}==\"%04x\", ATTR{idProduct}==\"%04x\", MODE=\"0660\", GROUP=\"plugdev\", TAG+=\"uaccess\"\n", k.vid, k.pid)
		}
	}
	return b.String()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

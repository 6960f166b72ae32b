package usbip

import (
	"strings"
	"testing"

	"github.com/onair-dev/onair/devices"
)

// infoOf is what an enumeration of interface in of p reports.
func infoOf(p Profile, in Interface) devices.Info {
	return devices.Info{VID: p.VendorID, PID: p.ProductID, Product: p.Product, Manufacturer: p.Manufacturer,
		Serial: p.Serial, Interface: int(in.Number), Bus: devices.HID, Release: p.Release}
}

// TestEveryRegistryLightHasAProfile keeps the emulator in step with the
// registry: every drivable HID row has a profile that the registry resolves
// to the same row's driver, on the interface the row names.
func TestEveryRegistryLightHasAProfile(t *testing.T) {
	for _, id := range devices.Entries() {
		if id.Driver.Bus != devices.HID || id.Unsupported != "" {
			continue // serial lights are not USB HID; bootloaders are not lights
		}
		found := false
		for _, p := range Profiles() {
			if p.VendorID != id.VID || p.ProductID != id.PID {
				continue
			}
			if id.Product != "" && !strings.Contains(strings.ToUpper(p.Product), strings.ToUpper(id.Product)) {
				continue
			}
			for _, in := range p.Interfaces {
				if id.Interface != devices.AnyInterface && int(in.Number) != id.Interface {
					continue
				}
				d, err := devices.Lookup(infoOf(p, in))
				if err == nil && d == id.Driver {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("registry row %04X:%04X %q interface %d (%s %s) has no emulator profile: add one to profile.go",
				id.VID, id.PID, id.Product, id.Interface, id.Driver.Vendor, id.Model)
		}
	}
}

// TestEveryProfileIsARegistryLight is the converse: each profile's driven
// interface resolves to a driver that can run on Linux.
func TestEveryProfileIsARegistryLight(t *testing.T) {
	for _, p := range Profiles() {
		ok := false
		for _, in := range p.Interfaces {
			info := infoOf(p, in)
			d, err := devices.Lookup(info)
			if err == nil && d.Supported(info, "linux") == nil {
				ok = true
			}
		}
		if !ok {
			t.Errorf("profile %s (%s %q) is no drivable registry light", p.Name, p.ID(), p.Product)
		}
	}
}

package devices_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onair-dev/onair/devices"
)

func TestRegistrySortedAndUnique(t *testing.T) {
	ids := devices.Entries()
	if len(ids) == 0 {
		t.Fatal("empty registry")
	}
	less := func(a, b devices.Entry) bool {
		if a.VID != b.VID {
			return a.VID < b.VID
		}
		if a.PID != b.PID {
			return a.PID < b.PID
		}
		if a.Product != b.Product {
			return a.Product < b.Product
		}
		return a.Interface < b.Interface
	}
	for i := 1; i < len(ids); i++ {
		a, b := ids[i-1], ids[i]
		if !less(a, b) {
			t.Errorf("registry rows %d and %d out of order or duplicate: %04X:%04X %q if%d, %04X:%04X %q if%d",
				i-1, i, a.VID, a.PID, a.Product, a.Interface, b.VID, b.PID, b.Product, b.Interface)
		}
	}
	for _, id := range ids {
		if id.Driver == nil || id.Model == "" {
			t.Errorf("%04X:%04X: missing driver or model", id.VID, id.PID)
		}
		if id.Product != strings.ToUpper(id.Product) {
			t.Errorf("%04X:%04X: product match %q should be upper case (matching folds case)", id.VID, id.PID, id.Product)
		}
	}
}

func TestEveryDriverHasVectors(t *testing.T) {
	names := map[string]bool{}
	for _, d := range devices.Drivers() {
		if names[d.Name] {
			t.Errorf("duplicate driver name %q", d.Name)
		}
		names[d.Name] = true
		if !tested[d.Name] {
			t.Errorf("driver %q has no vector table (vectors(%q, …) in a <vendor>_test.go)", d.Name, d.Name)
		}
		if d.Vendor == "" || (d.Bus != devices.HID && d.Bus != devices.Serial) {
			t.Errorf("driver %q: vendor %q, bus %q", d.Name, d.Vendor, d.Bus)
		}
		if (d.Bus == devices.Serial) != (d.Serial != nil) {
			t.Errorf("driver %q: bus %s but Serial config %v", d.Name, d.Bus, d.Serial)
		}
		if len(d.Models()) == 0 {
			t.Errorf("driver %q has no IDs", d.Name)
		}
	}
	for name := range tested {
		if !names[name] {
			t.Errorf("vector table for %q, which is not a registered driver", name)
		}
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name    string
		info    devices.Info
		driver  *devices.Driver
		model   string
		wantErr error
	}{
		// PROTOCOLS.md#luxafor-ids: 04D8 is shared by Luxafor and the old Kuando (BLFH #54).
		{"old kuando on microchip vid", hidInfo(0x04D8, 0xF848, "BUSYLIGHT"), &devices.Kuando, "Busylight (old, Microchip ID)", nil},
		{"luxafor flag", hidInfo(0x04D8, 0xF372, "LUXAFOR FLAG"), &devices.Luxafor, "Flag", nil},
		{"luxafor mute lower case", hidInfo(0x04D8, 0xF372, "Luxafor Mute"), &devices.Luxafor, "Mute", nil},
		{"luxafor orb", hidInfo(0x04D8, 0xF372, "LUXAFOR ORB"), &devices.Luxafor, "Orb", nil},
		{"luxafor bt", hidInfo(0x04D8, 0xF372, "LUXAFOR BT"), &devices.Luxafor, "Bluetooth", nil},
		{"luxafor unknown product", hidInfo(0x04D8, 0xF372, ""), &devices.Luxafor, "unknown model", nil},
		{"other microchip device", hidInfo(0x04D8, 0x000A, "CDC RS-232"), nil, "", devices.ErrUnknownDevice},
		// PROTOCOLS.md#report-ids-per-os (shared vendor IDs): 20A0 is shared by BlinkStick and MuteMe.
		{"blinkstick", hidInfo(0x20A0, 0x41E5, "BlinkStick"), &devices.BlinkStick, "BlinkStick", nil},
		{"muteme original", hidInfo(0x20A0, 0x42DA, "MuteMe"), &devices.MuteMe, "MuteMe Original", nil},
		{"muteme mini", hidInfo(0x20A0, 0x42DB, ""), &devices.MuteMe, "MuteMe Mini", nil},
		// PROTOCOLS.md#muteme-ids: 16C0:27DB is the V-USB shared ID; only a MuteMe product.
		{"v-usb keyboard not claimed", hidInfo(0x16C0, 0x27DB, "DIY Keyboard"), nil, "", devices.ErrUnknownDevice},
		{"muteme prototype", hidInfo(0x16C0, 0x27DB, "MuteMe"), &devices.MuteMe, "MuteMe Original (prototype)", nil},
		// PROTOCOLS.md#busy-tag: Espressif VID; Busy Tag's own PID only.
		{"busy tag", devices.Info{VID: 0x303A, PID: 0x81DF, Bus: devices.Serial}, &devices.BusyTag, "Busy Tag", nil},
		{"esp32 bootloader not claimed", devices.Info{VID: 0x303A, PID: 0x1001, Bus: devices.Serial}, nil, "", devices.ErrUnknownDevice},
		// A serial light is not found on the HID bus and vice versa.
		{"fit-statusb seen as hid", hidInfo(0x2047, 0x03DF, ""), nil, "", devices.ErrUnknownDevice},
		{"kuando seen as serial", devices.Info{VID: 0x27BB, PID: 0x3BCD, Bus: devices.Serial}, nil, "", devices.ErrUnknownDevice},
		// Empty bus (a hand-written replay entry) matches either.
		{"empty bus", devices.Info{VID: 0x27BB, PID: 0x3BCD}, &devices.Kuando, "Busylight Omega", nil},
		{"plantronics", hidInfo(0x047F, 0xD005, ""), &devices.Plantronics, "Status Indicator", nil},
		{"blync interface 1", blync(0x1E00), &devices.BlyncUSB20, "Blync BLYNCUSB20", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := devices.Lookup(tt.info)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Lookup err = %v, want %v", err, tt.wantErr)
			}
			if d != tt.driver {
				t.Fatalf("Lookup = %v, want %v", name(d), name(tt.driver))
			}
			if d != nil && d.Model(tt.info) != tt.model {
				t.Errorf("Model = %q, want %q", d.Model(tt.info), tt.model)
			}
		})
	}
}

func name(d *devices.Driver) string {
	if d == nil {
		return "<nil>"
	}
	return d.Name
}

func TestCapabilities(t *testing.T) {
	// The README table is generated from the same facts; keep them true.
	type caps struct{ blink, pulse, keepAlive bool }
	want := map[string]caps{
		"kuando":      {true, true, true},
		"luxafor":     {},
		"embrava":     {blink: true},
		"plantronics": {blink: true},
		"blyncusb10":  {},
		"blyncusb20":  {},
		"blink1":      {},
		"blinkstick":  {},
		"epos":        {},
		"muteme":      {blink: true, pulse: true},
		"fitstatusb":  {blink: true},
		"busytag":     {},
	}
	for _, d := range devices.Drivers() {
		got := caps{d.HardwareEffect(devices.Blink), d.HardwareEffect(devices.Pulse), d.KeepAlivePeriod() > 0}
		if w, ok := want[d.Name]; !ok || got != w {
			t.Errorf("%s: capabilities %+v, want %+v", d.Name, got, w)
		}
		if !d.HardwareEffect(devices.Solid) || !d.HardwareEffect(devices.Off) {
			t.Errorf("%s: solid/off must always be hardware", d.Name)
		}
	}
}

// TestUdevRulesFile keeps configs/60-onair.rules equal to UdevRules.
// UPDATE_GOLDEN=1 rewrites it.
func TestUdevRulesFile(t *testing.T) {
	rules := devices.UdevRules()
	path := filepath.Join("..", "configs", "60-onair.rules")
	if os.Getenv("UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(path, []byte(rules), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (regenerate with UPDATE_GOLDEN=1 go test ./devices)", err)
	}
	if string(got) != rules {
		t.Errorf("%s differs from devices.UdevRules(); regenerate with UPDATE_GOLDEN=1 go test ./devices", path)
	}
}

func TestUdevRules(t *testing.T) {
	rules := devices.UdevRules()
	for _, want := range []string{
		// PROTOCOLS.md#report-ids-per-os: libusb backend, so the usb device node.
		`SUBSYSTEM=="usb", ATTR{idVendor}=="27bb", ATTR{idProduct}=="3bcd", MODE="0660", GROUP="plugdev", TAG+="uaccess"`,
		// Luxafor's four models share one line.
		"# Luxafor Bluetooth, Flag, Mute, Orb\n" +
			`SUBSYSTEM=="usb", ATTR{idVendor}=="04d8", ATTR{idProduct}=="f372", MODE="0660", GROUP="plugdev", TAG+="uaccess"`,
		// Serial lights match their tty.
		`SUBSYSTEM=="tty", ATTRS{idVendor}=="2047", ATTRS{idProduct}=="03df", MODE="0660", GROUP="plugdev", TAG+="uaccess"`,
		"sudo udevadm control --reload && sudo udevadm trigger",
	} {
		if !strings.Contains(rules, want) {
			t.Errorf("UdevRules() lacks %q", want)
		}
	}
	// Unsupported IDs (bootloader, Kuando Box) get no rule.
	for _, absent := range []string{`"3bc0"`, `"3bcc"`} {
		if strings.Contains(rules, absent) {
			t.Errorf("UdevRules() has a rule for unsupported ID %s", absent)
		}
	}
	lines := 0
	seen := map[string]bool{}
	for _, id := range devices.Entries() {
		if id.Unsupported == "" {
			seen[fmt.Sprintf("%04x:%04x", id.VID, id.PID)] = true
		}
	}
	for _, l := range strings.Split(rules, "\n") {
		if strings.HasPrefix(l, "SUBSYSTEM==") {
			lines++
		}
	}
	if lines != len(seen) {
		t.Errorf("UdevRules() has %d rules, want one per supported VID:PID (%d)", lines, len(seen))
	}
}

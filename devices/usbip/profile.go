package usbip

import (
	"fmt"
	"sort"
)

// Report is one HID report an interface declares: its report ID (0 when the
// interface uses no numbered reports) and its data size in bytes, without the
// report-ID byte.
type Report struct {
	ID   uint8
	Size int
}

// Interface is one HID interface of an emulated device.
type Interface struct {
	// Number is bInterfaceNumber.
	Number uint8
	// SubClass and Protocol of the interface descriptor (0 for the
	// vendor-defined collections busy lights use).
	SubClass, Protocol uint8
	// InEndpoint is the interrupt IN endpoint address (0x81, …); every HID
	// interface has one.
	InEndpoint uint8
	// OutEndpoint is the interrupt OUT endpoint address, or 0 when the
	// interface has none and output reports travel as SET_REPORT on the
	// control endpoint (feature-only lights such as blink(1)).
	OutEndpoint uint8
	// PacketSize is wMaxPacketSize of both interrupt endpoints.
	PacketSize uint16
	// Input, Output and Feature are the reports the report descriptor
	// declares.
	Input, Output, Feature []Report
}

// numbered reports whether the interface declares numbered reports, in which
// case the first byte of every report on the wire is its report ID.
func (in *Interface) numbered() bool {
	for _, rs := range [][]Report{in.Input, in.Output, in.Feature} {
		for _, r := range rs {
			if r.ID != 0 {
				return true
			}
		}
	}
	return false
}

// Profile describes one emulated light as it appears on the bus.
type Profile struct {
	// Name is a short label for logs and test names ("kuando-omega").
	Name string
	// VendorID, ProductID and Release (bcdDevice) of the device descriptor.
	VendorID, ProductID, Release uint16
	// Manufacturer, Product and Serial are the string descriptors; empty
	// means the device has none.
	Manufacturer, Product, Serial string
	// Speed is the bus speed. V-USB lights (blink(1), BlinkStick) are
	// low-speed devices; the others are full speed.
	Speed Speed
	// Interfaces lists the HID interfaces in order.
	Interfaces []Interface
	// SampleInput is a typical input report (data bytes, without a
	// report-ID byte) on the first interface that has input, or nil when the
	// light sends none that matters: the Luxafor Mute button, a MuteMe touch,
	// the Kuando device-information report.
	SampleInput []byte
	// Source names where the descriptor facts come from.
	Source string
}

// ID returns "VVVV:PPPP".
func (p *Profile) ID() string { return fmt.Sprintf("%04X:%04X", p.VendorID, p.ProductID) }

func (p *Profile) maxPacket0() uint8 {
	if p.Speed == LowSpeed {
		return 8
	}
	return 64
}

func (p *Profile) interval() uint8 {
	if p.Speed == LowSpeed {
		return 10
	}
	return 1
}

// Interface returns the interface with bInterfaceNumber n, or nil.
func (p *Profile) Interface(n uint8) *Interface {
	for i := range p.Interfaces {
		if p.Interfaces[i].Number == n {
			return &p.Interfaces[i]
		}
	}
	return nil
}

// Profile families. Facts from devices/PROTOCOLS.md (section named per
// family); descriptor details no public source records (endpoint sizes,
// input report sizes of write-only lights) follow the report sizes.
func kuando(pid uint16, name, product string) Profile {
	// devices/PROTOCOLS.md#kuando: output report, no report ID, 64 bytes;
	// 64-byte input report with ASCII device information (#kuando-input).
	info := make([]byte, 64)
	copy(info, "0001PLENOM00OMEG12345678DASAN00020150522010203")
	return Profile{
		Name: name, VendorID: 0x27BB, ProductID: pid, Release: 0x0100,
		Manufacturer: "PLENOM APS", Product: product, Serial: "KUANDO0001",
		Speed:       FullSpeed,
		Interfaces:  []Interface{{Number: 0, InEndpoint: 0x81, OutEndpoint: 0x01, PacketSize: 64, Input: []Report{{0, 64}}, Output: []Report{{0, 64}}}},
		SampleInput: info,
		Source:      "devices/PROTOCOLS.md#kuando-report, #kuando-input",
	}
}

func luxafor(product, name string, input []byte) Profile {
	// devices/PROTOCOLS.md#luxafor: output report, no report ID, 8 bytes;
	// 8-byte input (acks, Mute button). Interface 0, endpoints 0x81/0x01,
	// 8-byte packets (#luxafor-ids).
	return Profile{
		Name: name, VendorID: 0x04D8, ProductID: 0xF372, Release: 0x0100,
		Manufacturer: "Microchip Technology Inc.", Product: product, Serial: "LUX0001",
		Speed:       FullSpeed,
		Interfaces:  []Interface{{Number: 0, InEndpoint: 0x81, OutEndpoint: 0x01, PacketSize: 8, Input: []Report{{0, 8}}, Output: []Report{{0, 8}}}},
		SampleInput: input,
		Source:      "devices/PROTOCOLS.md#luxafor-ids, #luxafor-report, #luxafor-input",
	}
}

func embrava(vid, pid uint16, name, manufacturer, product string) Profile {
	// devices/PROTOCOLS.md#embrava-report: output report, no report ID,
	// 8 bytes, interface 0; write-only.
	return Profile{
		Name: name, VendorID: vid, ProductID: pid, Release: 0x0100,
		Manufacturer: manufacturer, Product: product,
		Speed:      FullSpeed,
		Interfaces: []Interface{{Number: 0, InEndpoint: 0x81, OutEndpoint: 0x01, PacketSize: 8, Input: []Report{{0, 8}}, Output: []Report{{0, 8}}}},
		Source:     "devices/PROTOCOLS.md#embrava-report",
	}
}

func blyncUSB10(pid uint16) Profile {
	// devices/PROTOCOLS.md#early-blync: two HID interfaces; the light
	// listens on interface 1, which has no OUT endpoint: the 8-byte output
	// report travels as SET_REPORT (Output, report ID 0, wIndex 1).
	return Profile{
		Name: fmt.Sprintf("blyncusb10-%04x", pid), VendorID: 0x1130, ProductID: pid, Release: 0x0100,
		Manufacturer: "TENX", Product: "BLYNCUSB10",
		Speed: LowSpeed,
		Interfaces: []Interface{
			{Number: 0, InEndpoint: 0x81, PacketSize: 8, Input: []Report{{0, 8}}},
			{Number: 1, InEndpoint: 0x82, PacketSize: 8, Input: []Report{{0, 8}}, Output: []Report{{0, 8}}},
		},
		Source: "devices/PROTOCOLS.md#early-blync",
	}
}

func muteme(vid, pid uint16, name, product string) Profile {
	// devices/PROTOCOLS.md#muteme: output report, no report ID, 1 byte;
	// 8-byte input, touch state in byte 3 (04 = touch started).
	return Profile{
		Name: name, VendorID: vid, ProductID: pid, Release: 0x0100,
		Manufacturer: "muteme.com", Product: product, Serial: "MM0001",
		Speed:       FullSpeed,
		Interfaces:  []Interface{{Number: 0, InEndpoint: 0x81, OutEndpoint: 0x01, PacketSize: 8, Input: []Report{{0, 8}}, Output: []Report{{0, 1}}}},
		SampleInput: []byte{0, 0, 0, 0x04, 0, 0, 0, 0},
		Source:      "devices/PROTOCOLS.md#muteme-report, #muteme-input",
	}
}

// profiles is the profile table, sorted by VID, PID, Product. Every HID row
// of the devices registry has a profile here (profile_test.go checks).
var profiles = sortProfiles([]Profile{
	embrava(0x047F, 0xD005, "plantronics-status-indicator", "Plantronics", "Plantronics Status Indicator"),
	luxafor("LUXAFOR FLAG", "luxafor-flag", nil),
	luxafor("LUXAFOR ORB", "luxafor-orb", nil),
	luxafor("LUXAFOR MUTE", "luxafor-mute", []byte{0x83, 0x01, 0, 0, 0, 0, 0, 0}),
	luxafor("LUXAFOR BT", "luxafor-bt", nil),
	func() Profile {
		p := kuando(0xF848, "kuando-old", "BUSYLIGHT")
		p.VendorID = 0x04D8
		p.Manufacturer = "Microchip Technology Inc."
		return p
	}(),
	embrava(0x0E53, 0x2516, "blynclight-0e53-2516", "Embrava Pty Ltd", "Blynclight"),
	embrava(0x0E53, 0x2517, "blynclight-mini-0e53-2517", "Embrava Pty Ltd", "Blynclight Mini"),
	embrava(0x0E53, 0x2519, "blynclight-mini-0e53-2519", "Embrava Pty Ltd", "Blynclight Mini"),
	blyncUSB10(0x0001),
	blyncUSB10(0x0002),
	{
		// devices/PROTOCOLS.md#early-blync: BLYNCUSB20 (TENX20): 64-byte
		// output report, no ID, on interface 1 through an interrupt OUT
		// endpoint.
		Name: "blyncusb20", VendorID: 0x1130, ProductID: 0x1E00, Release: 0x0100,
		Manufacturer: "TENX", Product: "BLYNCUSB20",
		Speed: FullSpeed,
		Interfaces: []Interface{
			{Number: 0, InEndpoint: 0x81, PacketSize: 8, Input: []Report{{0, 8}}},
			{Number: 1, InEndpoint: 0x82, OutEndpoint: 0x02, PacketSize: 64, Input: []Report{{0, 64}}, Output: []Report{{0, 64}}},
		},
		Source: "devices/PROTOCOLS.md#early-blync",
	},
	{
		// devices/PROTOCOLS.md#epos: output report ID 1, 64 bytes with the ID
		// (63 data bytes).
		Name: "epos-ui20bl", VendorID: 0x1395, ProductID: 0x0074, Release: 0x0100,
		Manufacturer: "EPOS", Product: "EPOS UI 20 BL USB", Serial: "EPOS0001",
		Speed:      FullSpeed,
		Interfaces: []Interface{{Number: 0, InEndpoint: 0x81, OutEndpoint: 0x01, PacketSize: 64, Input: []Report{{1, 63}}, Output: []Report{{1, 63}}}},
		Source:     "devices/PROTOCOLS.md#epos",
	},
	muteme(0x16C0, 0x27DB, "muteme-prototype", "MuteMe"),
	{
		// devices/PROTOCOLS.md#blinkstick: feature reports 1–9 (and 0x81), no
		// OUT endpoint; V-USB low-speed device; the variant is in the serial and bcdDevice.
		Name: "blinkstick-square", VendorID: 0x20A0, ProductID: 0x41E5, Release: 0x0200,
		Manufacturer: "Agile Innovative Ltd", Product: "BlinkStick", Serial: "BS000001-3.0",
		Speed: LowSpeed,
		Interfaces: []Interface{{Number: 0, InEndpoint: 0x81, PacketSize: 8, Input: []Report{{1, 3}},
			Feature: []Report{{1, 3}, {2, 32}, {3, 32}, {4, 1}, {5, 5}, {6, 25}, {7, 49}, {8, 97}, {9, 193}, {0x81, 1}}}},
		Source: "devices/PROTOCOLS.md#blinkstick",
	},
	muteme(0x20A0, 0x42DA, "muteme-original", "MuteMe"),
	muteme(0x20A0, 0x42DB, "muteme-mini", "MuteMe Mini"),
	{
		// devices/PROTOCOLS.md#blink1: feature report 1 (8 bytes) and, on
		// mk3, report 2 (60 bytes); interrupt IN only; V-USB low-speed device.
		Name: "blink1-mk3", VendorID: 0x27B8, ProductID: 0x01ED, Release: 0x0003,
		Manufacturer: "ThingM", Product: "blink(1) mk3", Serial: "30001234",
		Speed:      LowSpeed,
		Interfaces: []Interface{{Number: 0, InEndpoint: 0x81, PacketSize: 8, Input: []Report{{1, 8}}, Feature: []Report{{1, 8}, {2, 60}}}},
		Source:     "devices/PROTOCOLS.md#blink1",
	},
	kuando(0x3BCA, "kuando-alpha", "BUSYLIGHT ALPHA"),
	kuando(0x3BCB, "kuando-uc", "BUSYLIGHT UC"),
	kuando(0x3BCD, "kuando-omega", "BUSYLIGHT OMEGA"),
	kuando(0x3BCE, "kuando-alpha2", "BUSYLIGHT ALPHA"),
	kuando(0x3BCF, "kuando-omega2", "BUSYLIGHT OMEGA"),
	embrava(0x2C0D, 0x0001, "blynclight", "Embrava Pty Ltd", "Blynclight"),
	embrava(0x2C0D, 0x0002, "blynclight-plus", "Embrava Pty Ltd", "Blynclight Plus"),
	embrava(0x2C0D, 0x0003, "blynclight-mini", "Embrava Pty Ltd", "Blynclight Mini"),
	embrava(0x2C0D, 0x000A, "blynclight-mini-000a", "Embrava Pty Ltd", "Blynclight Mini"),
	embrava(0x2C0D, 0x000C, "blynclight-000c", "Embrava Pty Ltd", "Blynclight"),
	embrava(0x2C0D, 0x0010, "blynclight-plus-0010", "Embrava Pty Ltd", "Blynclight Plus"),
	muteme(0x3603, 0x0001, "muteme-3603-0001", "MuteMe"),
	muteme(0x3603, 0x0002, "muteme-mini-usbc", "MuteMe Mini"),
	muteme(0x3603, 0x0003, "muteme-mini-usba", "MuteMe Mini"),
	muteme(0x3603, 0x0004, "muteme-mini-3603-0004", "MuteMe Mini"),
})

func sortProfiles(ps []Profile) []Profile {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.VendorID != b.VendorID {
			return a.VendorID < b.VendorID
		}
		if a.ProductID != b.ProductID {
			return a.ProductID < b.ProductID
		}
		return a.Product < b.Product
	})
	return ps
}

// Profiles returns a copy of the profile table, sorted by VID, PID and
// product string.
func Profiles() []Profile {
	out := make([]Profile, len(profiles))
	for i, p := range profiles {
		out[i] = p.clone()
	}
	return out
}

// ProfileFor returns the profile for vid:pid. When several profiles share the
// ID (Luxafor models), product selects by exact product string; an empty
// product returns the first.
func ProfileFor(vid, pid uint16, product string) (Profile, bool) {
	for _, p := range profiles {
		if p.VendorID == vid && p.ProductID == pid && (product == "" || p.Product == product) {
			return p.clone(), true
		}
	}
	return Profile{}, false
}

// ProfileNamed returns the profile with the given Name.
func ProfileNamed(name string) (Profile, bool) {
	for _, p := range profiles {
		if p.Name == name {
			return p.clone(), true
		}
	}
	return Profile{}, false
}

func (p Profile) clone() Profile {
	p.Interfaces = append([]Interface(nil), p.Interfaces...)
	for i := range p.Interfaces {
		in := &p.Interfaces[i]
		in.Input = append([]Report(nil), in.Input...)
		in.Output = append([]Report(nil), in.Output...)
		in.Feature = append([]Report(nil), in.Feature...)
	}
	p.SampleInput = append([]byte(nil), p.SampleInput...)
	if len(p.SampleInput) == 0 {
		p.SampleInput = nil
	}
	return p
}

package devices

// EPOS drives the EPOS / Sennheiser UI 20 BL USB busylight, 1395:0074.
//
// Report: output report ID 1, 64 bytes with the ID: 01 12 02 R1 G1 B1 R2 G2
// B2 ON, zero-padded. 12 02 is "set colour", two LEDs get the same colour,
// ON is 01 for any visible colour and 00 for off. Blink and pulse are
// rendered by the daemon.
//
// Windows: karalabe/hid's Write always puts a 00 report ID in front, so a
// numbered output report cannot be sent; the light is unsupported there.
//
// Source: devices/PROTOCOLS.md#epos (EthyMoney
// Sennheiser-EPOS-USB-BusyLight-Control led.js, BLFH epos; one independent
// source) and #report-ids-per-os for Windows.
var EPOS = Driver{
	Name:   "epos",
	Vendor: "EPOS",
	App:    "EPOS Connect",
	Bus:    HID,
	proto:  epos{},
}

type epos struct{}

const eposReportID = 0x01

func (epos) encode(s State, _ Info) ([]Report, error) {
	p := make([]byte, 64)
	p[0], p[1], p[2] = eposReportID, 0x12, 0x02
	if !s.dark() {
		c := s.Color
		copy(p[3:], []byte{c.R, c.G, c.B, c.R, c.G, c.B, 0x01})
	}
	return []Report{{Kind: Output, Data: p}}, nil
}

func (epos) unsupported(goos string) string {
	if goos == "windows" {
		return "its numbered output report (ID 1) cannot be written through karalabe/hid on Windows"
	}
	return ""
}

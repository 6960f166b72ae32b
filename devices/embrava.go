package devices

import (
	"image/color"
	"time"
)

// Embrava drives Embrava Blynclights.
//
// Models and IDs: Blynclight 2C0D:0001, 2C0D:000C, 0E53:2516; Blynclight Plus
// 2C0D:0002, 2C0D:0010; Blynclight Mini 2C0D:0003, 2C0D:000A, 0E53:2517,
// 0E53:2519.
//
// Report: an 8-byte output report, no report ID: R, B, G (in that order),
// control, two sound bytes (left 00), FF, 22. Control bits, LSB first: 01
// off, 02 dim, 04 flash, flash speed 08 slow / 10 medium / 20 fast. Blink
// uses the built-in flash, its speed picked from the period; pulse is
// rendered by the daemon.
//
// Source: devices/PROTOCOLS.md#embrava (busylight-for-humans,
// JnyJny/blynclight; why the control bits are LSB-first is under
// #embrava-report).
var Embrava = Driver{
	Name:   "embrava",
	Vendor: "Embrava",
	App:    "Embrava Connect",
	Bus:    HID,
	proto:  blynclight{},
}

// Plantronics drives the Plantronics (Poly) Status Indicator 047F:D005, an
// OEM Blynclight Plus with the same 8-byte R, B, G report (see [Embrava]).
//
// Source: devices/PROTOCOLS.md#plantronics (BLFH status_indicator.py, BLFH
// #28, #434) and #report-ids-per-os for the Windows report-ID byte.
var Plantronics = Driver{
	Name:   "plantronics",
	Vendor: "Plantronics (Poly)",
	App:    "Poly Lens (Plantronics Hub)",
	Bus:    HID,
	proto:  blynclight{},
}

type blynclight struct{}

// Blynclight control byte bits (PROTOCOLS.md#embrava-report).
const (
	blyncOff    = 0x01
	blyncFlash  = 0x04
	blyncSlow   = 0x08
	blyncMedium = 0x10
	blyncFast   = 0x20
)

func (blynclight) hardware(e Effect) bool { return e == Blink }

func (blynclight) encode(s State, _ Info) ([]Report, error) {
	c, ctrl := s.Color, byte(0)
	switch {
	case s.dark():
		// The off bit; clearing it with black would be "on, black".
		c, ctrl = black, blyncOff
	case s.Effect == Blink:
		switch p := s.period(); {
		case p <= 500*time.Millisecond:
			ctrl = blyncFlash | blyncFast
		case p <= 1200*time.Millisecond:
			ctrl = blyncFlash | blyncMedium
		default:
			ctrl = blyncFlash | blyncSlow
		}
	}
	return []Report{unnumbered([]byte{c.R, c.B, c.G, ctrl, 0x00, 0x00, 0xFF, 0x22})}, nil
}

// BlyncUSB10 drives the early Embrava Blync BLYNCUSB10, 1130:0001 and
// 1130:0002, on USB interface 1 (the other interface ignores commands).
//
// Report: an 8-byte output report, no report ID: 55 53 42 43 00 40 02 XF,
// X the colour nibble of a fixed palette (8 white, 9 cyan, A magenta,
// B blue, C yellow, D green, E red, F off). Colours are quantised to that
// palette; effects are rendered by the daemon. Two sources send it as an
// output report, one as a feature report; output is used.
//
// Source: devices/PROTOCOLS.md#early-blync (blynux, go-busylight, BLFH).
var BlyncUSB10 = Driver{
	Name:   "blyncusb10",
	Vendor: "Embrava",
	App:    "Embrava Connect",
	Bus:    HID,
	proto:  blyncUSB10{},
}

type blyncUSB10 struct{}

func (blyncUSB10) encode(s State, _ Info) ([]Report, error) {
	nibble := byte(0xF) // off
	if !s.dark() {
		nibble = blync10Palette[palette3(s.Color)]
	}
	return []Report{unnumbered([]byte{0x55, 0x53, 0x42, 0x43, 0x00, 0x40, 0x02, nibble<<4 | 0x0F})}, nil
}

// BlyncUSB20 drives the early Embrava Blync BLYNCUSB20 (TENX20 chip),
// 1130:1E00, on USB interface 1.
//
// Report: a 64-byte output report, no report ID. Every colour is preceded
// by the reset code 73, then the colour code in byte 0 (60 red, D8 green,
// 35 blue, 40 yellow, 20 magenta, 07 white, 17 cyan, 73 off), the rest
// zero. Colours are quantised to that palette; effects are rendered by the
// daemon.
//
// Source: devices/PROTOCOLS.md#early-blync (BLFH blyncusb20.py from a
// decompiled Embrava DLL; one source).
var BlyncUSB20 = Driver{
	Name:   "blyncusb20",
	Vendor: "Embrava",
	App:    "Embrava Connect",
	Bus:    HID,
	proto:  blyncUSB20{},
}

type blyncUSB20 struct{}

const blync20Reset = 0x73 // also "off"

func (blyncUSB20) encode(s State, _ Info) ([]Report, error) {
	packet := func(code byte) Report {
		var p [64]byte
		p[0] = code
		return unnumbered(p[:])
	}
	if s.dark() {
		return []Report{packet(blync20Reset)}, nil
	}
	return []Report{packet(blync20Reset), packet(blync20Palette[palette3(s.Color)])}, nil
}

// palette3 returns the index 0–7 (bit 2 red, bit 1 green, bit 0 blue) of the
// fixed-palette colour nearest to c.
func palette3(c color.NRGBA) int {
	r, g, b := rgb3(c)
	i := 0
	if r {
		i |= 4
	}
	if g {
		i |= 2
	}
	if b {
		i |= 1
	}
	return i
}

// Palettes indexed by palette3: black, blue, green, cyan, red, magenta,
// yellow, white.
var (
	blync10Palette = [8]byte{0xF, 0xB, 0xD, 0x9, 0xE, 0xA, 0xC, 0x8}
	blync20Palette = [8]byte{0x73, 0x35, 0xD8, 0x17, 0x60, 0x20, 0x40, 0x07}
)

package devices

import (
	"strings"
)

// BlinkStick drives Agile Innovative BlinkSticks.
//
// Models and IDs: every variant uses 20A0:41E5 (20A0 is shared with MuteMe;
// the PID decides). The variant comes from the serial number BSnnnnnn-M.m:
// major 1 BlinkStick (1 LED), 2 BlinkStick Pro, 3 by bcdDevice: 0200
// Square (8 LEDs), 0201 Strip (8), 0202 Nano (2), 0203 Flex (32).
//
// Report: feature reports. Single-LED models (original, Pro, unknown) get
// report 1: 01 R G B (RGB order, first LED). Square, Strip and Nano get
// report 6: 06 00 then G R B for 8 LEDs (GRB order, full length even for the
// 2-LED Nano); Flex gets report 8 with 32 LEDs. No hardware effects: blink
// and pulse are rendered by the daemon. Original units that are wired
// "inverse" are not detected.
//
// Source: devices/PROTOCOLS.md#blinkstick (arvydas/blinkstick-python, the
// subzey/blinkstick-webhid feature-report table, examples and bugs to
// avoid).
var BlinkStick = Driver{
	Name:   "blinkstick",
	Vendor: "Agile Innovative",
	App:    "BlinkStick Client",
	Bus:    HID,
	proto:  blinkstick{},
}

type blinkstick struct{}

// blinkstickLEDs returns how many LEDs a multi-LED report must carry for the
// variant (8, 16, 32 or 64), or 0 for single-LED report 1
// (PROTOCOLS.md#blinkstick).
func blinkstickLEDs(info Info) int {
	_, ver, ok := strings.Cut(info.Serial, "-")
	if !ok || !strings.HasPrefix(ver, "3") {
		return 0
	}
	switch info.Release {
	case 0x0200, 0x0201, 0x0202: // Square, Strip, Nano (pad to 8)
		return 8
	case 0x0203: // Flex
		return 32
	}
	return 0
}

func (blinkstick) encode(s State, info Info) ([]Report, error) {
	c := s.Color
	if s.Effect == Off {
		c = black
	}
	n := blinkstickLEDs(info)
	if n == 0 {
		return []Report{{Kind: Feature, Data: []byte{0x01, c.R, c.G, c.B}}}, nil
	}
	id := map[int]byte{8: 6, 16: 7, 32: 8, 64: 9}[n]
	data := make([]byte, 2, 2+3*n)
	data[0] = id // data[1] = channel 0
	for range n {
		data = append(data, c.G, c.R, c.B)
	}
	return []Report{{Kind: Feature, Data: data}}, nil
}

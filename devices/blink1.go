package devices

import "image/color"

// Blink1 drives ThingM blink(1) lights.
//
// Models and IDs: blink(1) mk1, mk2 and mk3 all use 27B8:01ED (the serial
// number tells them apart; mk2 and later have two LEDs).
//
// Report: feature report 1, 8 data bytes: 01 action a0…a5 00. Set uses
// "fade to RGB" 'c' (63) R G B th tl n with a 100 ms fade (th:tl = ms/10,
// big-endian) and n = 0 for all LEDs; software frames use "set RGB now" 'n'
// (6E) so the daemon's 20 fps rendering is not smeared. The light keeps a
// colour until told otherwise: no keep-alive. Blink and pulse are rendered
// by the daemon (the device's pattern memory would need several writes and
// survives the daemon).
//
// Source: devices/PROTOCOLS.md#blink1 (ThingM's blink1-hid-commands.md in
// github.com/todbot/blink1, blink1-lib in todbot/blink1-tool).
var Blink1 = Driver{
	Name:   "blink1",
	Vendor: "ThingM",
	App:    "Blink1Control",
	Bus:    HID,
	proto:  blink1{},
}

type blink1 struct{}

const (
	blink1ReportID = 0x01
	blink1FadeTo   = 'c'
	blink1SetNow   = 'n'
	blink1FadeMs   = 100
)

func (blink1) encode(s State, _ Info) ([]Report, error) {
	c := s.Color
	if s.Effect == Off {
		c = black
	}
	t := blink1FadeMs / 10
	return []Report{{Kind: Feature, Data: []byte{blink1ReportID, blink1FadeTo, c.R, c.G, c.B, byte(t >> 8), byte(t), 0, 0}}}, nil
}

func (blink1) frame(c color.NRGBA, _ Info) ([]Report, error) {
	return []Report{{Kind: Feature, Data: []byte{blink1ReportID, blink1SetNow, c.R, c.G, c.B, 0, 0, 0, 0}}}, nil
}

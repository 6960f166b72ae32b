package devices

import (
	"fmt"
	"time"
)

// FitStatUSB drives the CompuLab fit-statUSB, 2047:03DF, a USB CDC serial
// light (TI MSP430; baud rate irrelevant).
//
// Protocol: ASCII lines ending in LF. A colour is sent as a one-colour
// sequence "B#RRGGBB\n" (as busylight-for-humans does), which also replaces
// any sequence still running; off is "B#000000\n". Blink is a two-colour
// sequence "B#RRGGBB-tttt#000000-tttt\n", tttt the half period in ms
// (0001–9999). Pulse is rendered by the daemon. The persistent fade setting
// (F) is left alone.
//
// Source: devices/PROTOCOLS.md#fit-statusb (CompuLab's fit-PC wiki page
// "Fit-statUSB").
var FitStatUSB = Driver{
	Name:   "fitstatusb",
	Vendor: "CompuLab",
	App:    "",
	Bus:    Serial,
	Serial: &SerialConfig{BaudRate: 115200, DTR: true, RTS: true},
	proto:  fitStatUSB{},
}

type fitStatUSB struct{}

func (fitStatUSB) hardware(e Effect) bool { return e == Blink }

func (fitStatUSB) encode(s State, _ Info) ([]Report, error) {
	c := s.Color
	if s.dark() {
		c = black
	}
	line := fmt.Sprintf("B#%02X%02X%02X\n", c.R, c.G, c.B)
	if s.Effect == Blink && !s.dark() {
		half := min(max(s.period()/2/time.Millisecond, 1), 9999)
		line = fmt.Sprintf("B#%02X%02X%02X-%04d#000000-%04d\n", c.R, c.G, c.B, int(half), int(half))
	}
	return []Report{{Kind: Output, Data: []byte(line)}}, nil
}

package devices

import "fmt"

// BusyTag drives the Busy Tag (Greynut / Luxafor), 303A:81DF, an ESP32-S3 USB
// CDC serial light with a screen and 7 LEDs. 303A is Espressif's VID; 81DF
// is Busy Tag's own PID (its bootloader 303A:1001 is every ESP32-S3's and is
// not claimed).
//
// Protocol: AT commands ending in CR LF; "AT+SC=127,RRGGBB\r\n" sets all 7
// LEDs (bit n of 127 = LED n) and the device answers "OK". Off is colour
// 000000. Blink and pulse are rendered by the daemon (the custom-pattern
// command needs a prompt/answer dialogue). The port is opened at 1 500 000
// baud, 8N1, DTR off and RTS on, as the vendor library does.
//
// Source: devices/PROTOCOLS.md#busy-tag (Busy Tag USB CDC command
// reference, busy-tag/busytag-lib; the line ending is an open question
// there).
var BusyTag = Driver{
	Name:   "busytag",
	Vendor: "Busy Tag",
	App:    "Busy Tag app",
	Bus:    Serial,
	Serial: &SerialConfig{BaudRate: 1500000, DTR: false, RTS: true},
	proto:  busyTag{},
}

type busyTag struct{}

// ack: every AT command is answered "OK" (devices/PROTOCOLS.md#busy-tag).
func (busyTag) ack() []byte { return []byte("OK") }

const busyTagAllLEDs = 127

func (busyTag) encode(s State, _ Info) ([]Report, error) {
	c := s.Color
	if s.Effect == Off {
		c = black
	}
	return []Report{{Kind: Output, Data: fmt.Appendf(nil, "AT+SC=%d,%02X%02X%02X\r\n", busyTagAllLEDs, c.R, c.G, c.B)}}, nil
}

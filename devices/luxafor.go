package devices

// Luxafor drives Luxafor (Greynut) lights.
//
// Models and IDs: Flag, Orb, Mute and the Bluetooth dongle all use
// 04D8:F372, told apart by the product string (LUXAFOR FLAG, LUXAFOR ORB,
// LUXAFOR MUTE, LUXAFOR BT). 04D8 is Microchip's VID, shared with the old
// Kuando 04D8:F848, so the PID always decides.
//
// Report: an 8-byte output report, no report ID. Colours use command 01
// "static colour": 01 FF R G B 00 00 00, target FF = all LEDs. The device's
// own strobe and wave commands have undocumented units and repeat
// semantics, so blink and pulse are rendered by the daemon. The Luxafor Mute
// sends an 8-byte input report 83 00 when its button is pushed and 83 01
// when it is released (one source; see PROTOCOLS.md#open-questions).
//
// Source: devices/PROTOCOLS.md#luxafor (Luxafor's developer protocol sheet:
// commands, examples, input reports).
var Luxafor = Driver{
	Name:   "luxafor",
	Vendor: "Luxafor",
	App:    "Luxafor app",
	Bus:    HID,
	proto:  luxafor{},
}

type luxafor struct{}

const (
	luxaforStatic    = 0x01 // static colour, no fade
	luxaforAllLEDs   = 0xFF
	luxaforButton    = 0x83 // input: Mute button event
	luxaforInputSize = 8
)

func (luxafor) encode(s State, _ Info) ([]Report, error) {
	c := s.Color
	if s.Effect == Off {
		c = black
	}
	return []Report{unnumbered([]byte{luxaforStatic, luxaforAllLEDs, c.R, c.G, c.B, 0, 0, 0})}, nil
}

func (luxafor) inputSize(info Info) int {
	if containsFold(info.Product, "LUXAFOR MUTE") {
		return luxaforInputSize
	}
	return 0
}

func (luxafor) decodeInput(b []byte) Input {
	// The vendor sheet shows a leading 00 on Windows reads; hidapi strips
	// the report-ID byte, but accept it anyway.
	if len(b) >= 3 && b[0] == 0x00 && b[1] == luxaforButton {
		b = b[1:]
	}
	if len(b) < 2 || b[0] != luxaforButton {
		return Input{}
	}
	switch b[1] {
	case 0x00:
		return Input{Button: ButtonDown}
	case 0x01:
		return Input{Button: ButtonUp}
	}
	return Input{}
}

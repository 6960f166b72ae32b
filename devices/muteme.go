package devices

// MuteMe drives MuteMe buttons, a touch button with a ring light.
//
// Models and IDs: MuteMe Original 20A0:42DA and (batch 009 on) 3603:0001;
// MuteMe Mini 20A0:42DB, 3603:0002 (USB-C), 3603:0003 (USB-A), 3603:0004;
// prototypes 16C0:27DB. 16C0:27DB is the V-USB shared HID ID that hobby
// keyboards also use, so it is claimed only when the product string
// contains "MuteMe". 20A0 is shared with BlinkStick; the PID decides. The
// MuteMe Click 3603:0005 speaks a different protocol and is not claimed.
//
// Report: a 1-byte output report, no report ID: bits 0–2 colour (01 red, 02
// green, 04 blue; mixes for yellow, cyan, magenta, white), bits 4–5 effect
// (00 solid, 10 dim, 20 fast pulse, 30 slow pulse). Colours are quantised to
// the 3-bit palette; a colour at less than half strength uses "dim". Blink
// maps to fast pulse, pulse to slow pulse. Codes with low nibble 9 are
// maintenance commands (59 erases the firmware) and can never be produced.
// Input: an 8-byte report, touch state in byte 3: 04 touch started, 01 still
// touching, 02 touch ended.
//
// Source: devices/PROTOCOLS.md#muteme (MuteMe's HID page, muteme-diy,
// mutebtn, BLFH).
var MuteMe = Driver{
	Name:   "muteme",
	Vendor: "MuteMe",
	App:    "MuteMe Client",
	Bus:    HID,
	proto:  muteme{},
}

type muteme struct{}

const (
	mutemeDim       = 0x10
	mutemeFastPulse = 0x20
	mutemeSlowPulse = 0x30
	mutemeInputSize = 8
)

func (muteme) hardware(e Effect) bool { return e == Blink || e == Pulse }

func (muteme) encode(s State, _ Info) ([]Report, error) {
	var cmd byte
	if !s.dark() {
		r, g, b := rgb3(s.Color)
		if r {
			cmd |= 0x01
		}
		if g {
			cmd |= 0x02
		}
		if b {
			cmd |= 0x04
		}
		switch s.Effect {
		case Blink:
			cmd |= mutemeFastPulse
		case Pulse:
			cmd |= mutemeSlowPulse
		default:
			if max(s.Color.R, s.Color.G, s.Color.B) < 0x80 {
				cmd |= mutemeDim
			}
		}
	}
	// The 00 "off" command keeps its report-ID byte in front, or hidapi sends
	// nothing (PROTOCOLS.md#muteme-report).
	return []Report{unnumbered([]byte{cmd})}, nil
}

func (muteme) inputSize(Info) int { return mutemeInputSize }

func (muteme) decodeInput(b []byte) Input {
	if len(b) < 4 {
		return Input{}
	}
	switch b[3] {
	case 0x04:
		return Input{Button: ButtonDown}
	case 0x01:
		return Input{Button: ButtonHeld}
	case 0x02:
		return Input{Button: ButtonUp}
	}
	return Input{}
}

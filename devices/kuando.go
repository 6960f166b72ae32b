package devices

import (
	"fmt"
	"image/color"
	"time"
)

// Kuando drives Kuando (Plenom ApS) Busylights.
//
// Models and IDs: Busylight Alpha 27BB:3BCA, UC 27BB:3BCB, Omega 27BB:3BCD,
// Alpha model 2 27BB:3BCE, Omega model 2 27BB:3BCF, and the old Busylight on
// Microchip's VID 04D8:F848 (which shares its VID with Luxafor; matched by
// PID). The Kuando Box 27BB:3BCC (a phone-line sensor) and the bootloader
// 27BB:3BC0 are recognised and reported unsupported.
//
// Report: one 64-byte output report, no report ID. Bytes 0–55 are seven
// 8-byte program steps (command, repeat, red, green, blue 0–100 %, on time
// and off time in 0.1 s, audio); bytes 56–61 the footer 00 00 00 FF FF FF;
// bytes 62–63 the big-endian 16-bit sum of bytes 0–61. Colours are scaled
// from 0–255 to the spec's 0–100 PWM range. Blink is one self-looping step
// with on/off times; pulse is a seven-step ramp 25/50/75/100/75/50/25 %. The
// light goes dark unless it receives a packet at least every ~10–15 s: a
// keep-alive step 8F (no change, wait up to 15 s) is sent every 10 s.
// 04D8:F848 gets the same 64-byte protocol (as busylight-for-humans does;
// the older 8-byte variant is unverified).
//
// Source: devices/PROTOCOLS.md#kuando (Kuando HID protocol specification
// rev 2.2; layout, example packets, keep-alive; the open questions on colour
// range, footer and the old F848 protocol are under #open-questions).
var Kuando = Driver{
	Name:   "kuando",
	Vendor: "Kuando",
	App:    "Kuando Hub (Busylight)",
	Bus:    HID,
	proto:  kuando{},
}

type kuando struct{}

// Kuando step commands (PROTOCOLS.md#kuando-report).
const (
	kuandoJump      = 0x10 // + step number
	kuandoKeepAlive = 0x80 // + timeout in seconds, 0–15
	kuandoAudioStop = 0x80 // audio byte: apply audio settings, volume 0
)

// kuandoKeepAlivePeriod is how often the keep-alive is sent; its timeout
// nibble (15 s) stays comfortably above it, or the light flashes off between
// packets (PROTOCOLS.md#kuando-keep-alive, BLFH #500).
const kuandoKeepAlivePeriod = 10 * time.Second

func (kuando) hardware(e Effect) bool { return e == Blink || e == Pulse }

func (kuando) keepAlive() (Report, time.Duration) {
	var p [64]byte
	p[0] = kuandoKeepAlive | 15
	return kuandoPacket(p), kuandoKeepAlivePeriod
}

func (kuando) encode(s State, _ Info) ([]Report, error) {
	var p [64]byte
	r, g, b := kuandoPercent(s.Color)
	switch {
	case s.Effect == Off || s.dark():
		// Black, and stop any ringtone another program started.
		p[0], p[7] = kuandoJump, kuandoAudioStop
	case s.Effect == Solid:
		copy(p[:], []byte{kuandoJump, 0, r, g, b, 0, 0, 0})
	case s.Effect == Blink:
		half := tenths(s.period() / 2)
		copy(p[:], []byte{kuandoJump, 0, r, g, b, half, half, 0})
	case s.Effect == Pulse:
		// Seven steps of one repeat each; step n jumps to n+1, the last to
		// step 0. The peak step lasts twice as long (PROTOCOLS.md#kuando-examples).
		unit := tenths(s.period() / 8)
		levels := [7]int{25, 50, 75, 100, 75, 50, 25}
		for n, pct := range levels {
			on := unit
			if pct == 100 {
				on = tenths(s.period() / 4)
			}
			step := []byte{kuandoJump | byte((n+1)%7), 1, level(r, pct), level(g, pct), level(b, pct), on, 0, 0}
			copy(p[8*n:], step)
		}
	default:
		return nil, fmt.Errorf("effect %s not supported", s.Effect)
	}
	return []Report{kuandoPacket(p)}, nil
}

// kuandoPacket fills the footer and checksum of a 64-byte packet and wraps
// it as an unnumbered output report.
func kuandoPacket(p [64]byte) Report {
	copy(p[56:62], []byte{0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF})
	var sum uint16
	for _, v := range p[:62] {
		sum += uint16(v)
	}
	p[62], p[63] = byte(sum>>8), byte(sum)
	return unnumbered(p[:])
}

// kuandoPercent converts 0–255 channels to the spec's 0–100 PWM range,
// rounding (PROTOCOLS.md#kuando-report).
func kuandoPercent(c color.NRGBA) (r, g, b byte) {
	f := func(v uint8) byte { return byte((int(v)*100 + 127) / 255) }
	return f(c.R), f(c.G), f(c.B)
}

// level returns pct percent of v (0–100), rounding.
func level(v byte, pct int) byte { return byte((int(v)*pct + 50) / 100) }

// tenths converts d to Kuando's 0.1 s time unit, clamped to 1–255.
func tenths(d time.Duration) byte {
	t := (d + 50*time.Millisecond) / (100 * time.Millisecond)
	return byte(min(max(t, 1), 255))
}

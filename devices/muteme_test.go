package devices_test

import (
	"testing"

	"github.com/onair-dev/onair/devices"
)

var mutemeInfo = hidInfo(0x20A0, 0x42DA, "MuteMe")

var mutemeVectors = vectors("muteme", []vector{
	// PROTOCOLS.md#muteme-report "solid red" 00 01.
	{name: "solid red", info: mutemeInfo, state: solid(red),
		want: ops(write(b("00 01")))},
	// PROTOCOLS.md#muteme-report "dim green" 00 12: a colour under half strength uses dim.
	{name: "dim green", info: hidInfo(0x20A0, 0x42DB, ""), state: solid(rgb(0, 0x40, 0)),
		want: ops(write(b("00 12")))},
	// PROTOCOLS.md#muteme-report "blink blue (fast pulse)" 00 24: blink maps to fast pulse.
	{name: "blink blue", info: hidInfo(0x3603, 0x0001, ""), state: devices.State{Color: blue, Effect: devices.Blink},
		want: ops(write(b("00 24")))},
	// PROTOCOLS.md#muteme-report "pulse white (slow pulse)" 00 37: pulse maps to slow pulse.
	{name: "pulse white", info: mutemeInfo, state: devices.State{Color: white, Effect: devices.Pulse},
		want: ops(write(b("00 37")))},
	// PROTOCOLS.md#muteme-report "off" 00 00, report-ID byte kept.
	{name: "off", info: mutemeInfo, state: off,
		want: ops(write(b("00 00")))},
	// PROTOCOLS.md#muteme-report mixes: purple (A0 00 FF) → red+blue = 05 (magenta).
	{name: "purple", info: mutemeInfo, state: solid(rgb(0xA0, 0, 0xFF)),
		want: ops(write(b("00 05")))},
	// PROTOCOLS.md#muteme-ids prototype ID, claimed only with a MuteMe product string.
	{name: "prototype yellow", info: hidInfo(0x16C0, 0x27DB, "MuteMe"), state: solid(yellow),
		want: ops(write(b("00 03")))},
})

func TestMuteMeVectors(t *testing.T) { runVectors(t, mutemeVectors) }

func TestMuteMeTouch(t *testing.T) {
	// PROTOCOLS.md#muteme-input: 8-byte input, touch state in byte 3.
	runInputs(t, mutemeInfo, []inputCase{
		{"touch started", b("00 00 00 04 00 00 00 00"), devices.ButtonDown},
		{"still touching", b("00 00 00 01 00 00 00 00"), devices.ButtonHeld},
		{"touch ended", b("00 00 00 02 00 00 00 00"), devices.ButtonUp},
		{"idle", b("00 00 00 00 00 00 00 00"), devices.ButtonNone},
		{"short report", b("00 00 00"), devices.ButtonNone},
		{"timeout", nil, devices.ButtonNone},
	})
}

func TestMuteMeNeverSendsMaintenanceCodes(t *testing.T) {
	// PROTOCOLS.md#muteme-report: a command with low nibble 9 is a maintenance code (59 erases
	// the firmware). Try every colour level and effect.
	for v := 0; v < 256; v += 5 {
		for _, e := range []devices.Effect{devices.Solid, devices.Blink, devices.Pulse, devices.Off} {
			for _, c := range []uint8{0, uint8(v)} {
				rec := newRecord(t, mutemeInfo, devices.State{Color: rgb(uint8(v), c, uint8(255-v)), Effect: e})
				for _, op := range rec {
					if len(op.Data) != 2 || op.Data[1]&0x0F == 0x09 || op.Data[1]&0xC8 != 0 {
						t.Fatalf("v=%d effect=%s: sent % X", v, e, op.Data)
					}
				}
			}
		}
	}
}

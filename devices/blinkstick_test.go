package devices_test

import (
	"testing"

	"github.com/onair-dev/onair/devices"
)

func blinkstick(serial string, release uint16) devices.Info {
	return devices.Info{VID: 0x20A0, PID: 0x41E5, Product: "BlinkStick", Serial: serial, Release: release, Bus: devices.HID, Interface: 0}
}

var blinkstickVectors = vectors("blinkstick", []vector{
	// PROTOCOLS.md#blinkstick example "original, red": report 1, RGB order.
	{name: "original red", info: blinkstick("BS000001-1.0", 0x0100), state: solid(red),
		want: ops(feature(b("01 FF 00 00")))},
	// PROTOCOLS.md#blinkstick report 1 is RGB: green is the second byte.
	{name: "pro green", info: blinkstick("BS000002-2.1", 0x0100), state: solid(green),
		want: ops(feature(b("01 00 FF 00")))},
	// PROTOCOLS.md#blinkstick example "Square or Nano, red": report 6, channel 0, GRB ×8 (26 bytes).
	{name: "square red", info: blinkstick("BS000003-3.0", 0x0200), state: solid(red),
		want: ops(feature(b("06 00", rep("00 FF 00", 8))))},
	// PROTOCOLS.md#blinkstick: the 2-LED Nano still gets report 6 at the full 8-LED length.
	{name: "nano red", info: blinkstick("BS000004-3.0", 0x0202), state: solid(red),
		want: ops(feature(b("06 00", rep("00 FF 00", 8))))},
	// PROTOCOLS.md#blinkstick Flex (32 LEDs): report 8, GRB ×32; green leads each triple.
	{name: "flex green", info: blinkstick("BS000005-3.0", 0x0203), state: solid(green),
		want: ops(feature(b("08 00", rep("FF 00 00", 32))))},
	// PROTOCOLS.md#blinkstick example "Strip off": report 6 all zero.
	{name: "strip off", info: blinkstick("BS000006-3.0", 0x0201), state: off,
		want: ops(feature(b("06 00", zeros(24))))},
	// PROTOCOLS.md#blinkstick brightness: none; scaled colour, GRB order (G=40 R=80 B=00).
	{name: "square half-bright orange", info: blinkstick("BS000007-3.0", 0x0200), state: solid(rgb(0x80, 0x40, 0)),
		want: ops(feature(b("06 00", rep("40 80 00", 8))))},
	// PROTOCOLS.md#blinkstick: no hardware effects; Set shows the first frame.
	{name: "blink is software", info: blinkstick("BS000001-1.0", 0x0100), state: devices.State{Color: blue, Effect: devices.Blink},
		want: ops(feature(b("01 00 00 FF")))},
})

func TestBlinkStickVectors(t *testing.T) { runVectors(t, blinkstickVectors) }

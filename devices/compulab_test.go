package devices_test

import (
	"testing"
	"time"

	"github.com/onair-dev/onair/devices"
)

var fitStat = devices.Info{VID: 0x2047, PID: 0x03DF, Product: "fit_StatUSB", Bus: devices.Serial, Path: "/dev/ttyACM0", Interface: -1}

var fitStatVectors = vectors("fitstatusb", []vector{
	// PROTOCOLS.md#fit-statusb: a colour as a one-colour sequence B#RRGGBB\n (as BLFH sends).
	{name: "solid red", info: fitStat, state: solid(red),
		want: ops(write([]byte("B#FF0000\n")), drained)},
	// PROTOCOLS.md#fit-statusb example "dim green": brightness is the scaled colour.
	{name: "dim green", info: fitStat, state: solid(rgb(0, 0x12, 0)),
		want: ops(write([]byte("B#001200\n")), drained)},
	// PROTOCOLS.md#fit-statusb off: black.
	{name: "off", info: fitStat, state: off,
		want: ops(write([]byte("B#000000\n")), drained)},
	// PROTOCOLS.md#fit-statusb example "blink red, 1 s".
	{name: "blink red 1s", info: fitStat, state: devices.State{Color: red, Effect: devices.Blink},
		want: ops(write([]byte("B#FF0000-0500#000000-0500\n")), drained)},
	// PROTOCOLS.md#fit-statusb tttt is ms, four digits.
	{name: "blink blue 300ms", info: fitStat, state: devices.State{Color: blue, Effect: devices.Blink, Period: 300 * time.Millisecond},
		want: ops(write([]byte("B#0000FF-0150#000000-0150\n")), drained)},
	// Pulse is rendered by the daemon: the first frame is the colour.
	{name: "pulse is software", info: fitStat, state: devices.State{Color: green, Effect: devices.Pulse},
		want: ops(write([]byte("B#00FF00\n")), drained)},
})

func TestFitStatUSBVectors(t *testing.T) { runVectors(t, fitStatVectors) }

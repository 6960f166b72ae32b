package devices_test

import (
	"testing"

	"github.com/onair-dev/onair/devices"
)

var busyTag = devices.Info{VID: 0x303A, PID: 0x81DF, Product: "Busy Tag", Bus: devices.Serial, Path: "/dev/ttyACM1", Interface: -1}

var busyTagVectors = vectors("busytag", []vector{
	// PROTOCOLS.md#busy-tag "AT+SC=127,FF0000", ended with CR LF (see PROTOCOLS.md#open-questions).
	{name: "solid red", info: busyTag, state: solid(red),
		want: ops(write([]byte("AT+SC=127,FF0000\r\n")), busyTagOK, drained)},
	// PROTOCOLS.md#busy-tag off: colour 000000 on all LEDs.
	{name: "off", info: busyTag, state: off,
		want: ops(write([]byte("AT+SC=127,000000\r\n")), busyTagOK, drained)},
	// PROTOCOLS.md#busy-tag brightness: the scaled colour.
	{name: "half-bright purple", info: busyTag, state: solid(rgb(0x50, 0, 0x80)),
		want: ops(write([]byte("AT+SC=127,500080\r\n")), busyTagOK, drained)},
	// PROTOCOLS.md#busy-tag: effects are rendered by the daemon, frame by frame.
	{name: "blink is software", info: busyTag,
		do: func(d *devices.Device) error {
			s := devices.State{Color: red, Effect: devices.Blink}
			return all(d.Set(s), d.Frame(s.At(devices.DefaultBlinkPeriod/2)))
		},
		want: ops(write([]byte("AT+SC=127,FF0000\r\n")), busyTagOK, drained, write([]byte("AT+SC=127,000000\r\n")), busyTagOK, drained)},
})

// PROTOCOLS.md#busy-tag: every command is answered "OK"; the reply is read,
// then whatever else the light sent is drained.
var (
	busyTagOK = read([]byte("OK\r\n"))
	drained   = read(nil)
)

func TestBusyTagVectors(t *testing.T) { runVectors(t, busyTagVectors) }

func TestBusyTagSerialSettings(t *testing.T) {
	// PROTOCOLS.md#busy-tag: 1 500 000 baud, DTR off, RTS on (vendor library).
	want := devices.SerialConfig{BaudRate: 1500000, DTR: false, RTS: true}
	if got := devices.BusyTag.Serial; got == nil || *got != want {
		t.Errorf("BusyTag.Serial = %+v, want %+v", got, want)
	}
}

package devices_test

import (
	"testing"

	"github.com/onair-dev/onair/devices"
	"github.com/onair-dev/onair/devices/devicestest"
)

var (
	luxaforFlag = hidInfo(0x04D8, 0xF372, "LUXAFOR FLAG")
	luxaforMute = hidInfo(0x04D8, 0xF372, "LUXAFOR MUTE")
)

var luxaforVectors = vectors("luxafor", []vector{
	// PROTOCOLS.md#luxafor-report "solid red", report-ID 00 in front (PROTOCOLS.md#report-ids-per-os).
	{name: "solid red", info: luxaforFlag, state: solid(red),
		want: ops(write(b("00 01 FF FF 00 00 00 00 00")))},
	// PROTOCOLS.md#luxafor-report "off" (static black).
	{name: "off", info: luxaforFlag, state: off,
		want: ops(write(b("00 01 FF 00 00 00 00 00 00")))},
	// PROTOCOLS.md#luxafor-report brightness: none on the device, the scaled colour is sent as is.
	{name: "half-bright green", info: hidInfo(0x04D8, 0xF372, "LUXAFOR ORB"), state: solid(rgb(0, 0x80, 0)),
		want: ops(write(b("00 01 FF 00 80 00 00 00 00")))},
	// PROTOCOLS.md#luxafor-report: no hardware blink; Set shows the first software frame (full
	// colour) and the daemon sends the rest with Frame.
	{name: "blink is software", info: luxaforFlag,
		do: func(d *devices.Device) error {
			if d.HardwareEffect(devices.Blink) || d.HardwareEffect(devices.Pulse) {
				return errorf("Luxafor claims hardware effects")
			}
			s := devices.State{Color: blue, Effect: devices.Blink}
			return all(d.Set(s), d.Frame(s.At(devices.DefaultBlinkPeriod*3/4)))
		},
		want: ops(
			write(b("00 01 FF 00 00 FF 00 00 00")),
			write(b("00 01 FF 00 00 00 00 00 00")),
		)},
	// PROTOCOLS.md#luxafor-ids the Bluetooth dongle takes the same commands.
	{name: "bluetooth yellow", info: hidInfo(0x04D8, 0xF372, "LUXAFOR BT"), state: solid(yellow),
		want: ops(write(b("00 01 FF FF FF 00 00 00 00")))},
})

func TestLuxaforVectors(t *testing.T) { runVectors(t, luxaforVectors) }

func TestLuxaforMuteButton(t *testing.T) {
	// PROTOCOLS.md#luxafor-input: 83 00 on push, 83 01 on release (BLFH); other reports are acks.
	runInputs(t, luxaforMute, []inputCase{
		{"push", b("83 00 00 00 00 00 00 00"), devices.ButtonDown},
		{"release", b("83 01 00 00 00 00 00 00"), devices.ButtonUp},
		{"ack", b("42 00 00 00 00 00 00 00"), devices.ButtonNone},
		{"leading report id", b("00 83 00 00 00 00 00 00"), devices.ButtonDown},
		{"timeout", nil, devices.ButtonNone},
	})
}

func TestLuxaforFlagHasNoInput(t *testing.T) {
	d, err := devices.Open(luxaforFlag, &devicestest.Playback{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.HasInput() {
		t.Error("Flag HasInput = true")
	}
	_, err = d.ReadInput(0)
	wantErr(t, err, devices.ErrNoInput)
}

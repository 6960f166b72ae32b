package devices_test

import (
	"testing"
	"time"

	"github.com/onair-dev/onair/devices"
	"github.com/onair-dev/onair/devices/devicestest"
)

var omega = hidInfo(0x27BB, 0x3BCD, "BUSYLIGHT OMEGA")

// kuandoFooter is bytes 56–61 of every packet (PROTOCOLS.md#kuando-examples).
const kuandoFooter = "00 00 00 FF FF FF"

// kuandoStep0 is a packet whose only step is step 0, with the leading
// report-ID byte 00 and the given checksum.
func kuandoStep0(step, sum string) []byte {
	return b("00", step, zeros(48), kuandoFooter, sum)
}

var kuandoVectors = vectors("kuando", []vector{
	// PROTOCOLS.md#kuando-examples "solid red (100 %)", checksum 03 71.
	{name: "solid red", info: omega, state: solid(red),
		want: ops(write(kuandoStep0("10 00 64 00 00 00 00 00", "03 71")))},
	// PROTOCOLS.md#kuando-examples "off", checksum 03 8D.
	{name: "off", info: omega, state: off,
		want: ops(write(kuandoStep0("10 00 00 00 00 00 00 80", "03 8D")))},
	// PROTOCOLS.md#kuando-report black solid is the same off packet (nothing to show).
	{name: "solid black is off", info: omega, state: solid(rgb(0, 0, 0)),
		want: ops(write(kuandoStep0("10 00 00 00 00 00 00 80", "03 8D")))},
	// PROTOCOLS.md#kuando-examples "orange 255,165,0 → 64 41 00", checksum 03 B2.
	{name: "orange scaled to 0-100", info: omega, state: solid(rgb(255, 165, 0)),
		want: ops(write(kuandoStep0("10 00 64 41 00 00 00 00", "03 B2")))},
	// PROTOCOLS.md#kuando-report brightness: a half-bright red (80) scales to 50 % = 32; checksum
	// 10+32+2FD = 033F by the PROTOCOLS.md#kuando-report algorithm.
	{name: "half-bright red", info: omega, state: solid(rgb(0x80, 0, 0)),
		want: ops(write(kuandoStep0("10 00 32 00 00 00 00 00", "03 3F")))},
	// PROTOCOLS.md#kuando-examples "blink red, 1 s", checksum 03 7B.
	{name: "blink red 1s", info: omega, state: devices.State{Color: red, Effect: devices.Blink},
		want: ops(write(kuandoStep0("10 00 64 00 00 05 05 00", "03 7B")))},
	// PROTOCOLS.md#kuando-examples pulse program: 25/50/75/100/75/50/25 % steps of 0.1 s (peak
	// 0.2 s), each jumping to the next, checksum 05 21.
	{name: "pulse red 0.8s", info: omega, state: devices.State{Color: red, Effect: devices.Pulse, Period: 800 * time.Millisecond},
		want: ops(write(b("00",
			"11 01 19 00 00 01 00 00  12 01 32 00 00 01 00 00",
			"13 01 4B 00 00 01 00 00  14 01 64 00 00 02 00 00",
			"15 01 4B 00 00 01 00 00  16 01 32 00 00 01 00 00",
			"10 01 19 00 00 01 00 00  00 00 00 FF FF FF 05 21")))},
	// PROTOCOLS.md#kuando-examples "keep-alive 15 s", checksum 03 8C.
	{name: "keep-alive", info: omega, do: (*devices.Device).KeepAlive,
		want: ops(write(kuandoStep0("8F 00 00 00 00 00 00 00", "03 8C")))},
	// PROTOCOLS.md#kuando-quirks: the old Microchip-ID Busylight gets the same 64-byte packet.
	{name: "old 04D8:F848 solid red", info: hidInfo(0x04D8, 0xF848, ""), state: solid(red),
		want: ops(write(kuandoStep0("10 00 64 00 00 00 00 00", "03 71")))},
	// PROTOCOLS.md#kuando-keep-alive: colour, then keep-alives while it should stay on, then off.
	{name: "sequence", info: hidInfo(0x27BB, 0x3BCA, "BUSYLIGHT ALPHA"),
		do: func(d *devices.Device) error {
			if d.KeepAlivePeriod() != 10*time.Second {
				return errorf("KeepAlivePeriod = %v, want 10s", d.KeepAlivePeriod())
			}
			return all(d.Set(solid(red)), d.KeepAlive(), d.KeepAlive(), d.Set(off))
		},
		want: ops(
			write(kuandoStep0("10 00 64 00 00 00 00 00", "03 71")),
			write(kuandoStep0("8F 00 00 00 00 00 00 00", "03 8C")),
			write(kuandoStep0("8F 00 00 00 00 00 00 00", "03 8C")),
			write(kuandoStep0("10 00 00 00 00 00 00 80", "03 8D")),
		)},
})

func TestKuandoVectors(t *testing.T) { runVectors(t, kuandoVectors) }

func TestKuandoUnsupportedIDs(t *testing.T) {
	// PROTOCOLS.md#kuando-ids: the Kuando Box is a sensor and 3BC0 the bootloader.
	for _, pid := range []uint16{0x3BCC, 0x3BC0} {
		p := &devicestest.Playback{}
		_, err := devices.Open(hidInfo(0x27BB, pid, ""), p, nil)
		wantErr(t, err, devices.ErrUnsupported)
	}
}

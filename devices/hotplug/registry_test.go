package hotplug

import (
	"testing"

	"github.com/onair-dev/onair/devices"
)

// TestKnownFollowsRegistry checks the VID:PID filter against the devices
// registry: every known light's events are relevant, whatever its bus, and a
// device that shares a light's VID but not its PID is not.
func TestKnownFollowsRegistry(t *testing.T) {
	ids := devices.Entries()
	if len(ids) == 0 {
		t.Fatal("empty registry")
	}
	serial := 0
	for _, id := range ids {
		e := Event{Action: Add, Subsystem: "usb", HasID: true, VID: id.VID, PID: id.PID}
		if !Known(id.VID, id.PID) || !Relevant(e) {
			t.Errorf("%04X:%04X (%s) is not relevant", id.VID, id.PID, id.Model)
		}
		if id.Driver.Bus == devices.Serial {
			serial++
		}
	}
	if serial == 0 {
		t.Error("no serial light in the registry: the tty events would go untested")
	}
	for _, other := range []struct{ vid, pid uint16 }{
		{0x303A, 0x1001}, // every ESP32-S3 bootloader, not the Busy Tag
		{0x10C4, 0xEA60}, // every CP210x
		{0x046D, 0xC31C}, // a keyboard
		{0x04D8, 0x0001}, // Microchip, not Luxafor's PID
	} {
		e := Event{Action: Remove, Subsystem: "usb", HasID: true, VID: other.vid, PID: other.pid}
		if Relevant(e) {
			t.Errorf("%04X:%04X is relevant", other.vid, other.pid)
		}
	}
}

package hotplug

import (
	"encoding/binary"
	"testing"
)

func rec(action, kind, hasID, lost byte, vid, pid uint16) []byte {
	b := []byte{action, kind, hasID, lost, 0, 0, 0, 0}
	binary.NativeEndian.PutUint16(b[4:], vid)
	binary.NativeEndian.PutUint16(b[6:], pid)
	return b
}

func TestDecodeRec(t *testing.T) {
	for _, c := range []struct {
		name string
		b    []byte
		want Event
		ok   bool
	}{
		{"usb add with ID", rec(recAdd, recUSB, 1, 0, 0x27BB, 0x3BCA), Event{Action: Add, Subsystem: "usb", HasID: true, VID: 0x27BB, PID: 0x3BCA}, true},
		{"hid remove with ID", rec(recRemove, recHID, 1, 0, 0x04D8, 0xF372), Event{Action: Remove, Subsystem: "hid", HasID: true, VID: 0x04D8, PID: 0xF372}, true},
		{"tty add, no ID (the bytes are ignored)", rec(recAdd, recTTY, 0, 0, 0xFFFF, 0xFFFF), Event{Action: Add, Subsystem: "tty"}, true},
		{"after lost records", rec(recAdd, recUSB, 1, 1, 0x27BB, 0x3BCA), Event{Action: Overflow}, true},
		{"unknown action", rec(9, recUSB, 0, 0, 0, 0), Event{}, false},
		{"unknown kind", rec(recAdd, 9, 0, 0, 0, 0), Event{}, false},
		{"short", []byte{recAdd, recUSB, 0}, Event{}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := decodeRec(c.b)
			if got != c.want || ok != c.ok {
				t.Errorf("decodeRec(% x) = %v, %v; want %v, %v", c.b, got, ok, c.want, c.ok)
			}
		})
	}
	// A decoded known light is relevant, so the output enumerates.
	e, _ := decodeRec(rec(recAdd, recUSB, 1, 0, 0x27BB, 0x3BCA))
	if !Relevant(e) {
		t.Errorf("%v: not relevant; 27BB:3BCA (Busylight Alpha) is a known light", e)
	}
}

package hotplug

import "encoding/binary"

// The record the macOS watcher's IOKit callbacks write to its pipe
// (watch_darwin.go), decoded here so that every platform tests it: 8
// bytes, well under the pipe's atomic-write size (PIPE_BUF, 512 on macOS),
// so a write is whole or fails.
//
//	[0] action  recAdd, recRemove
//	[1] kind    recUSB, recHID, recTTY
//	[2] has_id  1 when [4:8] hold the USB vendor and product ID
//	[3] lost    1 when records were dropped (pipe full) before this one
//	[4:6] vid, [6:8] pid, native byte order (little-endian on both Mac CPUs)
const (
	recSize = 8

	recAdd    = 1
	recRemove = 2

	recUSB = 1
	recHID = 2
	recTTY = 3
)

// decodeRec turns one record into an Event. A record after lost ones
// becomes an [Overflow]: the caller must rescan. ok is false for a record
// this version does not know (never written by its own C side).
func decodeRec(b []byte) (e Event, ok bool) {
	if len(b) < recSize {
		return Event{}, false
	}
	if b[3] != 0 {
		return Event{Action: Overflow}, true
	}
	switch b[0] {
	case recAdd:
		e.Action = Add
	case recRemove:
		e.Action = Remove
	default:
		return Event{}, false
	}
	switch b[1] {
	case recUSB:
		e.Subsystem = "usb"
	case recHID:
		e.Subsystem = "hid"
	case recTTY:
		e.Subsystem = "tty"
	default:
		return Event{}, false
	}
	if b[2] != 0 {
		e.HasID = true
		e.VID = binary.NativeEndian.Uint16(b[4:])
		e.PID = binary.NativeEndian.Uint16(b[6:])
	}
	return e, true
}

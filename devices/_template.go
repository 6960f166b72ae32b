// Copy this file to <vendor>.go to add a vendor; the leading underscore keeps
// the blueprint itself out of the build. Then:
//
//  1. Rename acme/Acme, fill in the doc comment: models, VID:PIDs, report
//     layout, and the section of devices/PROTOCOLS.md (or the
//     datasheet/capture) each fact comes from; add the light's section
//     there with its IDs, report layout, examples and sources.
//  2. Add the IDs to the sorted table in registry.go (VID, PID, then product
//     string). If the VID is shared with another vendor, say how the rows
//     tell them apart (PID, product string, interface).
//  3. Write <vendor>_test.go with vectors("acme", []vector{…}): State → want
//     bytes as hex, one comment per row naming its source. Cover a colour,
//     off, blink or pulse, brightness and, if any, keep-alive and input.
//     registry_test.go fails until the table exists.
//  4. UPDATE_GOLDEN=1 go test ./devices to regenerate configs/60-onair.rules.
//
// Keep the file a pure encoder: no I/O, goroutines, clocks or logging.

package devices

// Acme drives Acme Busy Beacons.
//
// Models and IDs: Busy Beacon 1234:ABCD.
//
// Report: an 8-byte output report, no report ID: 01 R G B 00 00 00 00.
//
// Source: devices/PROTOCOLS.md, section "Acme" (vendor datasheet rev X).
var Acme = Driver{
	Name:   "acme",
	Vendor: "Acme",
	App:    "Acme Beacon Center", // the vendor app that may hold the light
	Bus:    HID,
	proto:  acme{},
}

type acme struct{}

// encode implements protocol. Drivers return HID buffers with the report ID
// first (unnumbered adds 00 for devices without numbered reports); the hid
// transport handles karalabe's per-OS quirk.
func (acme) encode(s State, _ Info) ([]Report, error) {
	c := s.Color
	if s.Effect == Off {
		c = black
	}
	return []Report{unnumbered([]byte{0x01, c.R, c.G, c.B, 0, 0, 0, 0})}, nil
}

// Optional capabilities, implement only what the hardware has:
//
//	func (acme) hardware(e Effect) bool { return e == Blink }  // built-in blink
//	func (acme) keepAlive() (Report, time.Duration) { … }      // must be pinged
//	func (acme) frame(c color.NRGBA, _ Info) ([]Report, error) // faster frame
//	func (acme) inputSize(Info) int; decodeInput([]byte) Input // a button
//	func (acme) unsupported(goos string) string                // OS limits

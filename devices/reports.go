package devices

import "image/color"

// unnumbered returns an output report for a device that declares no report
// IDs: report ID 0x00, then data (see Transport for the convention).
func unnumbered(data []byte) Report {
	return Report{Kind: Output, Data: append([]byte{0x00}, data...)}
}

// rgb3 quantises c to the three on/off channels of the fixed-palette lights
// (MuteMe, early Blync): a channel is on when it has at least half the
// strength of the strongest one. All false for black.
func rgb3(c color.NRGBA) (r, g, b bool) {
	m := int(max(c.R, c.G, c.B))
	if m == 0 {
		return false, false, false
	}
	half := (m + 1) / 2 // in int: 255+1 must not wrap
	return int(c.R) >= half, int(c.G) >= half, int(c.B) >= half
}

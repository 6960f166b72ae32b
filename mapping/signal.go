package mapping

import (
	"fmt"
	"image/color"
	"strings"
)

// Effect is how a light shows its colour.
type Effect string

// Effects. Keep leaves the light as it was (useful for off-hours when another
// program owns the light); Off turns it dark.
const (
	Solid Effect = "solid"
	Blink Effect = "blink"
	Pulse Effect = "pulse"
	Off   Effect = "off"
	Keep  Effect = "keep"
)

// Effects lists every effect.
var Effects = []Effect{Solid, Blink, Pulse, Off, Keep}

// ParseEffect parses an effect name, case-insensitively. The empty string is
// Solid.
func ParseEffect(s string) (Effect, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return Solid, nil
	}
	for _, e := range Effects {
		if s == string(e) {
			return e, nil
		}
	}
	return "", fmt.Errorf("invalid effect %q (want one of solid, blink, pulse, off, keep)", s)
}

// Signal is what an output shows: a colour with a brightness and an effect,
// plus a short label for door signs.
type Signal struct {
	Color Color
	// Brightness is 0–100 percent. Outputs scale Color by it.
	Brightness int
	Effect     Effect
	// Label is the short text a door sign shows ("In a meeting").
	Label string
	// Rule names the rule that produced the signal, for status and logs.
	Rule string
}

// Dark reports whether the signal shows no light at all.
func (s Signal) Dark() bool {
	return s.Effect == Off || s.Brightness == 0 || s.Color == (Color{})
}

// Scaled returns the colour the light should emit: Color scaled by
// Brightness, black when the effect is Off.
func (s Signal) Scaled() color.NRGBA {
	if s.Effect == Off {
		return color.NRGBA{A: 0xff}
	}
	return s.Color.Scale(s.Brightness)
}

// String returns a compact description, e.g. "#ff0000 100% solid".
func (s Signal) String() string {
	return fmt.Sprintf("%s %d%% %s", s.Color, s.Brightness, s.Effect)
}

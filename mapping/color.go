package mapping

import (
	"fmt"
	"image/color"
	"strconv"
	"strings"
)

// Color is a 24-bit RGB colour. The zero value is black.
type Color struct{ R, G, B uint8 }

// Named colours accepted by ParseColor, chosen to look right on an RGB LED
// rather than on a screen: "orange" has little green, "purple" is a clear
// magenta-blue, "white" is full white.
var namedColors = map[string]Color{
	"black":   {0, 0, 0},
	"off":     {0, 0, 0},
	"red":     {255, 0, 0},
	"green":   {0, 255, 0},
	"blue":    {0, 0, 255},
	"yellow":  {255, 160, 0},
	"orange":  {255, 64, 0},
	"purple":  {160, 0, 255},
	"magenta": {255, 0, 255},
	"pink":    {255, 64, 128},
	"cyan":    {0, 255, 255},
	"white":   {255, 255, 255},
}

// ColorNames returns the accepted colour names, sorted.
func ColorNames() []string {
	return []string{"black", "blue", "cyan", "green", "magenta", "off", "orange", "pink", "purple", "red", "white", "yellow"}
}

// ColorName returns the name ParseColor reads as c ("green"), and whether
// c has one. Black is "off", the word people use for a dark light.
func ColorName(c Color) (string, bool) {
	if c == (Color{}) {
		return "off", true
	}
	for _, n := range ColorNames() {
		if namedColors[n] == c {
			return n, true
		}
	}
	return "", false
}

// ParseColor parses a colour: a name ("red"), "#RGB", "#RRGGBB", or
// "rgb(r, g, b)" with components 0–255. Case and surrounding space are
// ignored.
func ParseColor(s string) (Color, error) {
	in := s
	s = strings.ToLower(strings.TrimSpace(s))
	if c, ok := namedColors[s]; ok {
		return c, nil
	}
	switch {
	case strings.HasPrefix(s, "#"):
		h := s[1:]
		if len(h) != 3 && len(h) != 6 {
			return Color{}, fmt.Errorf("invalid colour %q: want #RGB or #RRGGBB", in)
		}
		var v [6]uint8
		for i := 0; i < len(h); i++ {
			d, ok := hexDigit(h[i])
			if !ok {
				return Color{}, fmt.Errorf("invalid colour %q: %q is not a hex digit", in, h[i])
			}
			v[i] = d
		}
		if len(h) == 3 {
			return Color{v[0] * 17, v[1] * 17, v[2] * 17}, nil
		}
		return Color{v[0]<<4 | v[1], v[2]<<4 | v[3], v[4]<<4 | v[5]}, nil
	case strings.HasPrefix(s, "rgb(") && strings.HasSuffix(s, ")"):
		parts := strings.Split(s[4:len(s)-1], ",")
		if len(parts) != 3 {
			return Color{}, fmt.Errorf("invalid colour %q: rgb() takes three components", in)
		}
		var v [3]uint8
		for i, p := range parts {
			n, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil || n < 0 || n > 255 {
				return Color{}, fmt.Errorf("invalid colour %q: component %q is not a number from 0 to 255", in, strings.TrimSpace(p))
			}
			v[i] = uint8(n)
		}
		return Color{v[0], v[1], v[2]}, nil
	}
	return Color{}, fmt.Errorf("invalid colour %q: use a name (%s), #RGB, #RRGGBB or rgb(r,g,b)", in, strings.Join(ColorNames(), ", "))
}

func hexDigit(c byte) (uint8, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// MustColor is ParseColor for constants; it panics on a bad colour.
func MustColor(s string) Color {
	c, err := ParseColor(s)
	if err != nil {
		panic(err)
	}
	return c
}

// String returns "#rrggbb".
func (c Color) String() string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// MarshalText implements encoding.TextMarshaler ("#rrggbb").
func (c Color) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseColor.
func (c *Color) UnmarshalText(b []byte) error {
	v, err := ParseColor(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// NRGBA returns c as an opaque color.NRGBA.
func (c Color) NRGBA() color.NRGBA { return color.NRGBA{c.R, c.G, c.B, 0xff} }

// Scale returns c at percent brightness (clamped to 0–100), rounded.
func (c Color) Scale(percent int) color.NRGBA {
	percent = max(0, min(100, percent))
	f := func(v uint8) uint8 { return uint8((int(v)*percent + 50) / 100) }
	return color.NRGBA{f(c.R), f(c.G), f(c.B), 0xff}
}

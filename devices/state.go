package devices

import (
	"fmt"
	"image/color"
	"math"
	"strings"
	"time"
)

// Effect is how a light shows its colour. The zero value is Solid.
//
// devices keeps its own enum rather than importing mapping (dependency rule);
// the names match mapping's effects so the daemon converts with
// [ParseEffect]. mapping's "keep" has no counterpart: the daemon simply does
// not call Set.
type Effect uint8

// Effects.
const (
	Solid Effect = iota
	Blink
	Pulse
	Off
)

var effectNames = [...]string{Solid: "solid", Blink: "blink", Pulse: "pulse", Off: "off"}

// String returns "solid", "blink", "pulse" or "off".
func (e Effect) String() string {
	if int(e) < len(effectNames) {
		return effectNames[e]
	}
	return fmt.Sprintf("Effect(%d)", uint8(e))
}

// ParseEffect parses "solid", "blink", "pulse" or "off", case-insensitively.
func ParseEffect(s string) (Effect, error) {
	for e, name := range effectNames {
		if strings.EqualFold(strings.TrimSpace(s), name) {
			return Effect(e), nil
		}
	}
	return 0, fmt.Errorf("invalid effect %q (want solid, blink, pulse or off)", s)
}

// Default effect periods, used when State.Period is zero.
const (
	DefaultBlinkPeriod = time.Second
	DefaultPulsePeriod = 2 * time.Second
)

// FrameInterval is how often the daemon should call [Device.Frame] while it
// renders an effect in software (20 frames per second).
const FrameInterval = 50 * time.Millisecond

// State is what a light should show.
type State struct {
	// Color is the colour to emit, already scaled by the brightness the user
	// chose (mapping.Signal.Scaled does that); drivers send it as is,
	// converted to their own range. The alpha channel is ignored.
	Color color.NRGBA
	// Effect is solid, blink, pulse or off. Off ignores Color.
	Effect Effect
	// Period is one full blink (on + off) or pulse cycle; zero means
	// DefaultBlinkPeriod or DefaultPulsePeriod.
	Period time.Duration
}

// period returns the effective effect period.
func (s State) period() time.Duration {
	switch {
	case s.Period > 0:
		return s.Period
	case s.Effect == Pulse:
		return DefaultPulsePeriod
	}
	return DefaultBlinkPeriod
}

// dark reports whether the state emits no light.
func (s State) dark() bool {
	return s.Effect == Off || (s.Color.R == 0 && s.Color.G == 0 && s.Color.B == 0)
}

var black = color.NRGBA{A: 0xff}

// At returns the colour a software-rendered effect shows at elapsed time
// since the effect started. Solid is Color throughout, Off is black, Blink is
// Color for the first half of each period and black for the second, Pulse
// breathes smoothly between Color (at 0) and a tenth of it (at half a period).
// It is a pure function of its arguments: the daemon owns the clock.
func (s State) At(elapsed time.Duration) color.NRGBA {
	c := s.Color
	c.A = 0xff
	switch s.Effect {
	case Off:
		return black
	case Blink:
		p := s.period()
		if elapsed%p >= p/2 {
			return black
		}
		return c
	case Pulse:
		p := s.period()
		phase := float64(elapsed%p) / float64(p)
		level := 0.1 + 0.9*(1+math.Cos(2*math.Pi*phase))/2
		return scale(c, level)
	}
	return c
}

// scale multiplies each channel by level (0–1), rounding.
func scale(c color.NRGBA, level float64) color.NRGBA {
	f := func(v uint8) uint8 { return uint8(math.Round(float64(v) * level)) }
	return color.NRGBA{R: f(c.R), G: f(c.G), B: f(c.B), A: 0xff}
}

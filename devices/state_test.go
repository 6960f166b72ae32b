package devices_test

import (
	"image/color"
	"testing"
	"time"

	"github.com/onair-dev/onair/devices"
)

func TestStateAt(t *testing.T) {
	black := rgb(0, 0, 0)
	tests := []struct {
		name    string
		s       devices.State
		elapsed time.Duration
		want    color.NRGBA
	}{
		{"solid", solid(red), 123 * time.Second, red},
		{"solid ignores alpha", devices.State{Color: color.NRGBA{R: 9}}, 0, rgb(9, 0, 0)},
		{"off", devices.State{Color: red, Effect: devices.Off}, 0, black},
		{"blink on at 0", devices.State{Color: red, Effect: devices.Blink}, 0, red},
		{"blink on before half", devices.State{Color: red, Effect: devices.Blink}, 499 * time.Millisecond, red},
		{"blink off at half", devices.State{Color: red, Effect: devices.Blink}, 500 * time.Millisecond, black},
		{"blink on next period", devices.State{Color: red, Effect: devices.Blink}, 1000 * time.Millisecond, red},
		{"blink custom period", devices.State{Color: red, Effect: devices.Blink, Period: 200 * time.Millisecond}, 150 * time.Millisecond, black},
		{"pulse full at 0", devices.State{Color: white, Effect: devices.Pulse}, 0, white},
		{"pulse tenth at half", devices.State{Color: white, Effect: devices.Pulse}, time.Second, rgb(26, 26, 26)},
		{"pulse midway at quarter", devices.State{Color: rgb(200, 100, 0), Effect: devices.Pulse}, 500 * time.Millisecond, rgb(110, 55, 0)},
		{"pulse periodic", devices.State{Color: white, Effect: devices.Pulse}, 2 * time.Second, white},
		{"negative elapsed", devices.State{Color: red, Effect: devices.Blink}, -time.Second, red},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.At(tt.elapsed); got != tt.want {
				t.Errorf("At(%v) = %v, want %v", tt.elapsed, got, tt.want)
			}
		})
	}
}

func TestParseEffect(t *testing.T) {
	for _, e := range []devices.Effect{devices.Solid, devices.Blink, devices.Pulse, devices.Off} {
		got, err := devices.ParseEffect(" " + e.String() + " ")
		if err != nil || got != e {
			t.Errorf("ParseEffect(%q) = %v, %v", e.String(), got, err)
		}
	}
	if got, err := devices.ParseEffect("PULSE"); err != nil || got != devices.Pulse {
		t.Errorf("ParseEffect(PULSE) = %v, %v", got, err)
	}
	for _, bad := range []string{"keep", "", "strobe"} {
		if _, err := devices.ParseEffect(bad); err == nil {
			t.Errorf("ParseEffect(%q) succeeded", bad)
		}
	}
	if s := devices.Effect(9).String(); s != "Effect(9)" {
		t.Errorf("Effect(9).String() = %q", s)
	}
}

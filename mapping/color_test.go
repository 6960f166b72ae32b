package mapping

import (
	"image/color"
	"strings"
	"testing"
)

func TestParseColor(t *testing.T) {
	tests := []struct {
		name, in string
		want     Color
		wantErr  string
	}{
		{name: "name", in: "red", want: Color{255, 0, 0}},
		{name: "name any case and space", in: "  Purple ", want: Color{160, 0, 255}},
		{name: "short hex", in: "#f80", want: Color{255, 136, 0}},
		{name: "long hex", in: "#FF8000", want: Color{255, 128, 0}},
		{name: "rgb", in: "rgb(1, 2, 3)", want: Color{1, 2, 3}},
		{name: "rgb no spaces", in: "RGB(255,0,10)", want: Color{255, 0, 10}},
		{name: "bad hex digit", in: "#ggg", wantErr: `invalid colour "#ggg": 'g' is not a hex digit`},
		{name: "bad hex length", in: "#ffff", wantErr: "want #RGB or #RRGGBB"},
		{name: "rgb out of range", in: "rgb(256,0,0)", wantErr: "not a number from 0 to 255"},
		{name: "rgb negative", in: "rgb(-1,0,0)", wantErr: "not a number from 0 to 255"},
		{name: "rgb two parts", in: "rgb(1,2)", wantErr: "three components"},
		{name: "unknown name", in: "chartreuse", wantErr: "use a name (black, blue"},
		{name: "empty", in: "", wantErr: "invalid colour"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseColor(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseColor(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseColor(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseColor(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestColorTextRoundTrip(t *testing.T) {
	for _, name := range ColorNames() {
		c := MustColor(name)
		b, _ := c.MarshalText()
		var back Color
		if err := back.UnmarshalText(b); err != nil {
			t.Fatalf("UnmarshalText(%s): %v", b, err)
		}
		if back != c {
			t.Errorf("%s: round trip %v → %s → %v", name, c, b, back)
		}
	}
}

func TestScale(t *testing.T) {
	c := Color{255, 128, 1}
	if got, want := c.Scale(100), (color.NRGBA{255, 128, 1, 255}); got != want {
		t.Errorf("Scale(100) = %v, want %v", got, want)
	}
	if got, want := c.Scale(50), (color.NRGBA{128, 64, 1, 255}); got != want {
		t.Errorf("Scale(50) = %v, want %v", got, want)
	}
	if got, want := c.Scale(0), (color.NRGBA{0, 0, 0, 255}); got != want {
		t.Errorf("Scale(0) = %v, want %v", got, want)
	}
	if got, want := c.Scale(250), c.Scale(100); got != want {
		t.Errorf("Scale(250) = %v, want clamped %v", got, want)
	}
}

func FuzzParseColor(f *testing.F) {
	for _, s := range []string{"red", "#fff", "#ffffff", "rgb(1,2,3)", "#ggg", "rgb(", "", "rgb(1,2,3,4)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseColor(s)
		if err != nil {
			return
		}
		// Whatever parses must print to a form that parses to the same colour.
		back, err := ParseColor(c.String())
		if err != nil || back != c {
			t.Fatalf("ParseColor(%q) = %v, but its String %q parses to %v, %v", s, c, c.String(), back, err)
		}
	})
}

package tray

import (
	"bytes"
	"encoding/binary"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// icons are the icons the tray can show: one per default signal colour
// (mapping/defaults.go) and the three states without a colour.
var icons = []struct {
	name string
	m    Model
}{
	{"signal-red", Model{Icon: IconSignal, Color: color.NRGBA{0xff, 0, 0, 0xff}}},
	{"signal-green", Model{Icon: IconSignal, Color: color.NRGBA{0, 0xff, 0, 0xff}}},
	{"signal-yellow", Model{Icon: IconSignal, Color: color.NRGBA{0xff, 0xff, 0, 0xff}}},
	{"signal-purple", Model{Icon: IconSignal, Color: color.NRGBA{0x80, 0, 0x80, 0xff}}},
	{"signal-blue", Model{Icon: IconSignal, Color: color.NRGBA{0, 0, 0xff, 0xff}}},
	{"signal-white", Model{Icon: IconSignal, Color: color.NRGBA{0xff, 0xff, 0xff, 0xff}}},
	{"off", Model{Icon: IconOff}},
	{"unreachable", Model{Icon: IconUnreachable}},
	{"signed-out", Model{Icon: IconSignedOut}},
}

// TestRender checks the pixels that tell the icons apart, and writes every
// icon as PNG and ICO to $ONAIR_ARTIFACTS/tray-icons when that is set, for
// a person to look at.
func TestRender(t *testing.T) {
	var dir string
	if a := os.Getenv("ONAIR_ARTIFACTS"); a != "" {
		dir = filepath.Join(a, "tray-icons")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	transparent := color.NRGBA{}
	centre := func(m Model) color.NRGBA { return Render(m).NRGBAAt(IconSize/2, IconSize/2) }
	seen := map[string]string{}
	for _, ic := range icons {
		img := Render(ic.m)
		if img.Rect.Dx() != IconSize || img.Rect.Dy() != IconSize {
			t.Fatalf("%s: size %v", ic.name, img.Rect)
		}
		if c := img.NRGBAAt(0, 0); c != transparent {
			t.Errorf("%s: corner %v, want transparent", ic.name, c)
		}
		switch ic.m.Icon {
		case IconSignal:
			if c := centre(ic.m); c != ic.m.Color {
				t.Errorf("%s: centre %v, want the signal colour %v", ic.name, c, ic.m.Color)
			}
			if c := img.NRGBAAt(IconSize/2, 4); c.R != outline.R || c.A != 0xff {
				t.Errorf("%s: rim %v, want the dark outline", ic.name, c)
			}
		case IconOff:
			if c := centre(ic.m); c != transparent {
				t.Errorf("off: centre %v, want transparent (an empty ring)", c)
			}
			if c := img.NRGBAAt(IconSize/2, 6); c != grey {
				t.Errorf("off: ring %v, want grey", c)
			}
		case IconUnreachable, IconSignedOut:
			if c := centre(ic.m); c != white && c != grey {
				t.Errorf("%s: centre %v, want grey or white", ic.name, c)
			}
		}
		p := EncodePNG(img)
		if prev, dup := seen[string(p)]; dup {
			t.Errorf("%s looks exactly like %s", ic.name, prev)
		}
		seen[string(p)] = ic.name
		back, err := png.Decode(bytes.NewReader(p))
		if err != nil || back.Bounds() != img.Rect {
			t.Errorf("%s: PNG does not decode back: %v", ic.name, err)
		}
		if dir != "" {
			os.WriteFile(filepath.Join(dir, ic.name+".png"), p, 0o644)
			os.WriteFile(filepath.Join(dir, ic.name+".ico"), EncodeICO(img), 0o644)
		}
	}
	// The keyhole and the slash put white in different places.
	if a, b := Render(Model{Icon: IconUnreachable}).NRGBAAt(16, 16), Render(Model{Icon: IconSignedOut}).NRGBAAt(16, 16); a == b {
		t.Errorf("unreachable and signed-out look alike at (16,16): %v", a)
	}
}

// TestEncodeICO checks the .ico layout field by field: ICONDIR,
// ICONDIRENTRY, BITMAPINFOHEADER, bottom-up BGRA rows and the AND mask.
func TestEncodeICO(t *testing.T) {
	m := Model{Icon: IconSignal, Color: color.NRGBA{0x12, 0xab, 0x34, 0xff}}
	img := Render(m)
	ico := EncodeICO(img)
	u16 := func(off int) int { return int(binary.LittleEndian.Uint16(ico[off:])) }
	u32 := func(off int) int { return int(binary.LittleEndian.Uint32(ico[off:])) }
	const n = IconSize
	wantLen := 6 + 16 + 40 + n*n*4 + n*n/8
	if len(ico) != wantLen {
		t.Fatalf("ico is %d bytes, want %d", len(ico), wantLen)
	}
	for _, f := range []struct {
		name      string
		got, want int
	}{
		{"ICONDIR.idType", u16(2), 1},
		{"ICONDIR.idCount", u16(4), 1},
		{"entry width", int(ico[6]), n},
		{"entry height", int(ico[7]), n},
		{"entry bit count", u16(12), 32},
		{"entry bytes", u32(14), wantLen - 22},
		{"entry offset", u32(18), 22},
		{"biSize", u32(22), 40},
		{"biWidth", u32(26), n},
		{"biHeight (XOR + AND)", u32(30), 2 * n},
		{"biBitCount", u16(36), 32},
	} {
		if f.got != f.want {
			t.Errorf("%s = %d, want %d", f.name, f.got, f.want)
		}
	}
	// Rows are bottom-up: the first row in the file is the image's last.
	pixel := func(x, y int) color.NRGBA {
		off := 62 + ((n-1-y)*n+x)*4
		return color.NRGBA{R: ico[off+2], G: ico[off+1], B: ico[off], A: ico[off+3]}
	}
	if got := pixel(n/2, n/2); got != m.Color {
		t.Errorf("centre pixel in the ico = %v, want %v", got, m.Color)
	}
	if got, want := pixel(n/2, 3), img.NRGBAAt(n/2, 3); got != want {
		t.Errorf("pixel (%d,3) in the ico = %v, want %v (row order)", n/2, got, want)
	}
}

// BenchmarkRender measures drawing and encoding one icon, which the tray
// does only when the icon changes.
func BenchmarkRender(b *testing.B) {
	m := Model{Icon: IconSignal, Color: color.NRGBA{0xff, 0, 0, 0xff}}
	for b.Loop() {
		EncodePNG(Render(m))
	}
}

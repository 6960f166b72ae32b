package tray

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"math"
)

// IconSize is the width and height of the rendered icon in pixels. Status
// areas draw at 16 to 32 device pixels; 64 leaves room for HiDPI scaling,
// and every host scales down.
const IconSize = 64

var (
	grey    = color.NRGBA{0x80, 0x80, 0x80, 0xff}
	outline = color.NRGBA{0x20, 0x20, 0x20, 0xff}
	white   = color.NRGBA{0xff, 0xff, 0xff, 0xff}
)

// Render draws the icon of m: a disc in the signal colour with a dark rim
// (so white and yellow show on light panels), an empty ring when the signal
// is off, a grey disc with a slash when the daemon is unreachable, and a
// grey disc with a keyhole when it needs a sign-in. Edges are
// anti-aliased by 4×4 supersampling.
func Render(m Model) *image.NRGBA {
	paint := painter(m)
	img := image.NewNRGBA(image.Rect(0, 0, IconSize, IconSize))
	const ss = 4
	for y := range IconSize {
		for x := range IconSize {
			var r, g, b, a float64
			for sy := range ss {
				for sx := range ss {
					px := (float64(x)+(float64(sx)+0.5)/ss)/IconSize*2 - 1
					py := (float64(y)+(float64(sy)+0.5)/ss)/IconSize*2 - 1
					c := paint(px, py)
					ca := float64(c.A) / 255
					r += float64(c.R) * ca
					g += float64(c.G) * ca
					b += float64(c.B) * ca
					a += ca
				}
			}
			if a == 0 {
				continue
			}
			img.SetNRGBA(x, y, color.NRGBA{
				R: uint8(math.Round(r / a)), G: uint8(math.Round(g / a)), B: uint8(math.Round(b / a)),
				A: uint8(math.Round(a / (ss * ss) * 255)),
			})
		}
	}
	return img
}

// painter returns the colour at a point of the icon, in coordinates from
// -1 to 1 with the origin at the centre.
func painter(m Model) func(x, y float64) color.NRGBA {
	const (
		rOuter = 0.9
		rim    = 0.1
	)
	switch m.Icon {
	case IconOff:
		return func(x, y float64) color.NRGBA {
			if d := math.Hypot(x, y); d <= rOuter && d >= rOuter-0.2 {
				return grey
			}
			return color.NRGBA{}
		}
	case IconUnreachable:
		return func(x, y float64) color.NRGBA {
			d := math.Hypot(x, y)
			switch {
			case d > rOuter:
				return color.NRGBA{}
			case math.Abs(x-y)/math.Sqrt2 < 0.12 && d < rOuter-rim:
				return white // the slash, top left to bottom right
			}
			return grey
		}
	case IconSignedOut:
		return func(x, y float64) color.NRGBA {
			d := math.Hypot(x, y)
			switch {
			case d > rOuter:
				return color.NRGBA{}
			case math.Hypot(x, y+0.2) < 0.22: // keyhole head
				return white
			case y >= -0.2 && y < 0.5 && math.Abs(x) < 0.08+0.12*(y+0.2)/0.7: // keyhole foot
				return white
			}
			return grey
		}
	}
	fill := m.Color
	return func(x, y float64) color.NRGBA {
		switch d := math.Hypot(x, y); {
		case d > rOuter:
			return color.NRGBA{}
		case d > rOuter-rim:
			return outline
		}
		return fill
	}
}

// EncodePNG returns img as PNG, the format fyne.io/systray takes on Linux
// and macOS.
func EncodePNG(img image.Image) []byte {
	var b bytes.Buffer
	// Encoding an in-memory NRGBA to a bytes.Buffer cannot fail.
	png.Encode(&b, img)
	return b.Bytes()
}

// EncodeICO returns img as a Windows .ico file with one 32-bit BGRA bitmap
// image, the format fyne.io/systray takes on Windows (it writes the bytes to
// a file and loads them with LoadImage). Layout: ICONDIR and ICONDIRENTRY,
// then a BITMAPINFOHEADER with twice the height (XOR bitmap plus AND mask),
// bottom-up BGRA rows, and a 1-bit AND mask padded to 32-bit rows; see
// https://learn.microsoft.com/en-us/previous-versions/ms997538(v=msdn.10).
func EncodeICO(img *image.NRGBA) []byte {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	maskStride := (w + 31) / 32 * 4
	dibSize := 40 + w*h*4 + maskStride*h
	var b bytes.Buffer
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	le([]uint16{0, 1, 1})                                     // reserved, type icon, one image
	b.Write([]byte{byte(w % 256), byte(h % 256), 0, 0})       // 256 is written as 0
	le([]uint16{1, 32})                                       // planes, bits per pixel
	le([]uint32{uint32(dibSize), 6 + 16})                     // bytes, offset
	le([]uint32{40, uint32(w), uint32(2 * h)})                // header size, width, XOR+AND height
	le([]uint16{1, 32})                                       // planes, bits per pixel
	le([]uint32{0, uint32(w*h*4 + maskStride*h), 0, 0, 0, 0}) // BI_RGB, image size, resolution, colours
	for y := h - 1; y >= 0; y-- {
		for x := range w {
			c := img.NRGBAAt(img.Rect.Min.X+x, img.Rect.Min.Y+y)
			b.Write([]byte{c.B, c.G, c.R, c.A})
		}
	}
	// The alpha channel decides transparency for 32-bit icons; an all-zero
	// AND mask keeps every pixel.
	b.Write(make([]byte, maskStride*h))
	return b.Bytes()
}

package usbip

import (
	"encoding/binary"
	"unicode/utf16"
)

// Standard descriptor types and requests (USB 2.0 ch. 9, HID 1.11 ch. 7).
const (
	descDevice    = 0x01
	descConfig    = 0x02
	descString    = 0x03
	descInterface = 0x04
	descEndpoint  = 0x05
	descHID       = 0x21
	descReport    = 0x22

	reqGetStatus     = 0x00
	reqClearFeature  = 0x01
	reqSetFeature    = 0x03
	reqGetDescriptor = 0x06
	reqGetConfig     = 0x08
	reqSetConfig     = 0x09
	reqGetInterface  = 0x0A
	reqSetInterface  = 0x0B

	hidGetReport   = 0x01
	hidGetIdle     = 0x02
	hidGetProtocol = 0x03
	hidSetReport   = 0x09
	hidSetIdle     = 0x0A
	hidSetProtocol = 0x0B

	stringManufacturer = 1
	stringProduct      = 2
	stringSerial       = 3
)

// ReportType is the HID report type as SET_REPORT/GET_REPORT encode it in
// the high byte of wValue.
type ReportType uint8

// HID report types.
const (
	InputReport   ReportType = 1
	OutputReport  ReportType = 2
	FeatureReport ReportType = 3
)

// String returns "input", "output" or "feature".
func (t ReportType) String() string {
	switch t {
	case InputReport:
		return "input"
	case OutputReport:
		return "output"
	case FeatureReport:
		return "feature"
	}
	return "invalid"
}

// deviceDescriptor returns the 18-byte device descriptor of p.
func deviceDescriptor(p *Profile) []byte {
	b := make([]byte, 18)
	b[0], b[1] = 18, descDevice
	binary.LittleEndian.PutUint16(b[2:], 0x0200) // bcdUSB
	// Class/subclass/protocol 0: defined per interface.
	b[7] = p.maxPacket0()
	binary.LittleEndian.PutUint16(b[8:], p.VendorID)
	binary.LittleEndian.PutUint16(b[10:], p.ProductID)
	binary.LittleEndian.PutUint16(b[12:], p.Release)
	if p.Manufacturer != "" {
		b[14] = stringManufacturer
	}
	if p.Product != "" {
		b[15] = stringProduct
	}
	if p.Serial != "" {
		b[16] = stringSerial
	}
	b[17] = 1 // one configuration
	return b
}

// configDescriptor returns the full configuration descriptor of p: the
// configuration, then per interface the interface, HID class and endpoint
// descriptors.
func configDescriptor(p *Profile) []byte {
	b := []byte{9, descConfig, 0, 0, uint8(len(p.Interfaces)), 1, 0, 0x80, 50}
	for i := range p.Interfaces {
		in := &p.Interfaces[i]
		neps := uint8(1)
		if in.OutEndpoint != 0 {
			neps++
		}
		b = append(b, 9, descInterface, in.Number, 0, neps, 3, in.SubClass, in.Protocol, 0)
		rd := in.ReportDescriptor()
		b = append(b, 9, descHID, 0x11, 0x01, 0, 1, descReport, uint8(len(rd)), uint8(len(rd)>>8))
		b = append(b, 7, descEndpoint, in.InEndpoint, 3, uint8(in.PacketSize), uint8(in.PacketSize>>8), p.interval())
		if in.OutEndpoint != 0 {
			b = append(b, 7, descEndpoint, in.OutEndpoint, 3, uint8(in.PacketSize), uint8(in.PacketSize>>8), p.interval())
		}
	}
	binary.LittleEndian.PutUint16(b[2:], uint16(len(b)))
	return b
}

// hidDescriptor returns the 9-byte HID class descriptor of in.
func hidDescriptor(in *Interface) []byte {
	rd := in.ReportDescriptor()
	return []byte{9, descHID, 0x11, 0x01, 0, 1, descReport, uint8(len(rd)), uint8(len(rd) >> 8)}
}

// stringDescriptor returns string descriptor index i, or nil if p has none.
// Index 0 is the language list (US English only).
func stringDescriptor(p *Profile, i uint8) []byte {
	var s string
	switch i {
	case 0:
		return []byte{4, descString, 0x09, 0x04}
	case stringManufacturer:
		s = p.Manufacturer
	case stringProduct:
		s = p.Product
	case stringSerial:
		s = p.Serial
	}
	if s == "" {
		return nil
	}
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2+2*len(u))
	b[0], b[1] = uint8(len(b)), descString
	for j, c := range u {
		binary.LittleEndian.PutUint16(b[2+2*j:], c)
	}
	return b
}

// ReportDescriptor returns the HID report descriptor of the interface: one
// vendor-defined application collection (usage page 0xFF00, usage 1, as the
// lights declare) with an 8-bit field array per report, each preceded by its
// Report ID item when the report is numbered.
func (in *Interface) ReportDescriptor() []byte {
	b := []byte{
		0x06, 0x00, 0xFF, // Usage Page (Vendor 0xFF00)
		0x09, 0x01, // Usage (1)
		0xA1, 0x01, // Collection (Application)
		0x15, 0x00, // Logical Minimum (0)
		0x26, 0xFF, 0x00, // Logical Maximum (255)
		0x75, 0x08, // Report Size (8)
	}
	item := func(main uint8, r Report, usage uint8) {
		if r.ID != 0 {
			b = append(b, 0x85, r.ID) // Report ID
		}
		if r.Size < 256 {
			b = append(b, 0x95, uint8(r.Size)) // Report Count
		} else {
			b = append(b, 0x96, uint8(r.Size), uint8(r.Size>>8))
		}
		b = append(b, 0x09, usage, main, 0x02) // Usage, Input/Output/Feature (Data,Var,Abs)
	}
	for _, r := range in.Input {
		item(0x81, r, 0x02)
	}
	for _, r := range in.Output {
		item(0x91, r, 0x03)
	}
	for _, r := range in.Feature {
		item(0xB1, r, 0x04)
	}
	return append(b, 0xC0) // End Collection
}

// ParsedReport is one report declared by a HID report descriptor.
type ParsedReport struct {
	Type ReportType
	ID   uint8
	// Bits is the total size of the report's fields, without the report ID.
	Bits int
}

// ParseReportDescriptor returns the reports a HID report descriptor
// declares, in order of first appearance. It understands the global items
// Report ID, Report Size and Report Count and the main items Input, Output
// and Feature; it skips everything else (long items included).
func ParseReportDescriptor(d []byte) ([]ParsedReport, error) {
	var (
		out         []ParsedReport
		id          uint8
		size, count int
		index       = map[[2]uint8]int{}
	)
	for i := 0; i < len(d); {
		prefix := d[i]
		if prefix == 0xFE { // long item
			if i+2 >= len(d) {
				return nil, errShortDescriptor
			}
			i += 3 + int(d[i+1])
			continue
		}
		n := int(prefix & 3)
		if n == 3 {
			n = 4
		}
		if i+1+n > len(d) {
			return nil, errShortDescriptor
		}
		var v uint32
		for j := n - 1; j >= 0; j-- {
			v = v<<8 | uint32(d[i+1+j])
		}
		i += 1 + n
		switch prefix & 0xFC {
		case 0x84:
			id = uint8(v)
		case 0x74:
			size = int(v)
		case 0x94:
			count = int(v)
		case 0x80, 0x90, 0xB0:
			t := map[uint8]ReportType{0x80: InputReport, 0x90: OutputReport, 0xB0: FeatureReport}[prefix&0xFC]
			k := [2]uint8{uint8(t), id}
			j, ok := index[k]
			if !ok {
				j = len(out)
				index[k] = j
				out = append(out, ParsedReport{Type: t, ID: id})
			}
			out[j].Bits += size * count
		}
	}
	return out, nil
}

var errShortDescriptor = errorString("usbip: truncated report descriptor")

type errorString string

func (e errorString) Error() string { return string(e) }

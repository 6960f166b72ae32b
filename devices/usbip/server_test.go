package usbip

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestHeaderRoundTrip(t *testing.T) {
	h := header{Command: cmdSubmit, Seqnum: 7, Devid: 0x10002, Direction: dirIn, Ep: 1,
		Word20: 0x200, Length: 64, StartFrame: -1, NumberOfPackets: 0, Interval: 10,
		Setup: [8]byte{0x80, 6, 0, 1, 0, 0, 18, 0}}
	b := h.marshal()
	if len(b) != headerSize {
		t.Fatalf("header is %d bytes, want %d", len(b), headerSize)
	}
	// Spot-check the big-endian layout of usbip_protocol.rst.
	want := map[int]uint32{0: 1, 4: 7, 8: 0x10002, 12: 1, 16: 1, 20: 0x200, 24: 64}
	for off, v := range want {
		if got := binary.BigEndian.Uint32(b[off:]); got != v {
			t.Errorf("offset %d = %#x, want %#x", off, got, v)
		}
	}
	if got := unmarshalHeader(b); got != h {
		t.Errorf("round trip: %+v, want %+v", got, h)
	}
	s := parseSetup(h.Setup)
	if s != (setup{0x80, 6, 0x0100, 0, 18}) || s.bytes() != h.Setup {
		t.Errorf("setup %+v does not round-trip", s)
	}
}

func TestDeviceRecordRoundTrip(t *testing.T) {
	r := DeviceRecord{Path: "/sys/x", BusID: "1-2", BusNum: 1, DevNum: 3, Speed: FullSpeed,
		VendorID: 0x27BB, ProductID: 0x3BCD, BCDDevice: 0x0100, ConfigurationValue: 1,
		NumConfigurations: 1, NumInterfaces: 1}
	b := r.marshal()
	if len(b) != deviceRecordSize {
		t.Fatalf("record is %d bytes, want %d", len(b), deviceRecordSize)
	}
	if binary.BigEndian.Uint16(b[300:]) != 0x27BB || b[311] != 1 {
		t.Errorf("bad layout: % x", b[288:])
	}
	if got := unmarshalDeviceRecord(b); !cmp.Equal(got, r) {
		t.Errorf("round trip: %s", cmp.Diff(r, got))
	}
	if r.DevID() != 0x10003 {
		t.Errorf("DevID = %#x", r.DevID())
	}
}

// configInterface is one interface parsed back from a configuration
// descriptor.
type configInterface struct {
	Number, Class  uint8
	Endpoints      []uint8
	PacketSize     uint16
	ReportDescSize int
}

func parseConfig(t *testing.T, b []byte) []configInterface {
	t.Helper()
	if len(b) < 9 || b[1] != descConfig || int(binary.LittleEndian.Uint16(b[2:])) != len(b) {
		t.Fatalf("bad configuration descriptor % x", b)
	}
	var out []configInterface
	for i := 0; i < len(b); i += int(b[i]) {
		if b[i] == 0 || i+int(b[i]) > len(b) {
			t.Fatalf("bad descriptor length at %d: % x", i, b)
		}
		switch b[i+1] {
		case descInterface:
			out = append(out, configInterface{Number: b[i+2], Class: b[i+5]})
		case descHID:
			out[len(out)-1].ReportDescSize = int(binary.LittleEndian.Uint16(b[i+7:]))
		case descEndpoint:
			last := &out[len(out)-1]
			if b[i+3] != 3 {
				t.Errorf("endpoint %#x is not interrupt", b[i+2])
			}
			last.Endpoints = append(last.Endpoints, b[i+2])
			last.PacketSize = binary.LittleEndian.Uint16(b[i+4:])
		}
	}
	if int(b[4]) != len(out) {
		t.Errorf("bNumInterfaces %d, found %d", b[4], len(out))
	}
	return out
}

// TestProfilesOverTheWire imports every profile and reads its descriptors
// back through USB/IP, as the guest kernel and libusb do.
func TestProfilesOverTheWire(t *testing.T) {
	srv := NewServer(Options{Logf: t.Logf})
	ps := Profiles()
	var devs []*Device
	for _, p := range ps {
		devs = append(devs, srv.Add(p))
	}
	addr := startServer(t, srv)
	for i, p := range ps {
		t.Run(p.Name, func(t *testing.T) {
			tc := importDevice(t, addr, devs[i].BusID())
			if tc.rec.VendorID != p.VendorID || tc.rec.ProductID != p.ProductID || tc.rec.Speed != p.Speed ||
				int(tc.rec.NumInterfaces) != len(p.Interfaces) || tc.rec.BusID != devs[i].BusID() {
				t.Errorf("import record %+v does not match profile", tc.rec)
			}
			dd := tc.getDescriptor(0x80, descDevice, 0, 0)
			if len(dd) != 18 || binary.LittleEndian.Uint16(dd[8:]) != p.VendorID ||
				binary.LittleEndian.Uint16(dd[10:]) != p.ProductID || binary.LittleEndian.Uint16(dd[12:]) != p.Release {
				t.Errorf("device descriptor % x does not match profile", dd)
			}
			if want := map[Speed]uint8{LowSpeed: 8, FullSpeed: 64}[p.Speed]; dd[7] != want {
				t.Errorf("bMaxPacketSize0 = %d, want %d", dd[7], want)
			}
			// A short read (wLength 9) returns only the configuration header.
			if st, b := tc.control(0x80, reqGetDescriptor, descConfig<<8, 0, 9, nil); st != 0 || len(b) != 9 {
				t.Errorf("short config read: status %d, %d bytes", st, len(b))
			}
			ifs := parseConfig(t, tc.getDescriptor(0x80, descConfig, 0, 0))
			for j, in := range p.Interfaces {
				got := ifs[j]
				wantEps := []uint8{in.InEndpoint}
				if in.OutEndpoint != 0 {
					wantEps = append(wantEps, in.OutEndpoint)
				}
				if got.Number != in.Number || got.Class != 3 || !bytes.Equal(got.Endpoints, wantEps) || got.PacketSize != in.PacketSize {
					t.Errorf("interface %d: got %+v, want number %d endpoints % x size %d", j, got, in.Number, wantEps, in.PacketSize)
				}
				rd := tc.getDescriptor(0x81, descReport, 0, uint16(in.Number))
				if len(rd) != got.ReportDescSize {
					t.Errorf("report descriptor is %d bytes, HID descriptor says %d", len(rd), got.ReportDescSize)
				}
				reports, err := ParseReportDescriptor(rd)
				if err != nil {
					t.Fatal(err)
				}
				var want []ParsedReport
				for _, r := range in.Input {
					want = append(want, ParsedReport{InputReport, r.ID, 8 * r.Size})
				}
				for _, r := range in.Output {
					want = append(want, ParsedReport{OutputReport, r.ID, 8 * r.Size})
				}
				for _, r := range in.Feature {
					want = append(want, ParsedReport{FeatureReport, r.ID, 8 * r.Size})
				}
				if !cmp.Equal(reports, want) {
					t.Errorf("interface %d reports: %s", in.Number, cmp.Diff(want, reports))
				}
			}
			for idx, want := range map[uint8]string{stringManufacturer: p.Manufacturer, stringProduct: p.Product, stringSerial: p.Serial} {
				if want == "" {
					if st, _ := tc.control(0x80, reqGetDescriptor, descString<<8|uint16(idx), 0x0409, 255, nil); st != StatusStall {
						t.Errorf("absent string %d: status %d, want STALL", idx, st)
					}
					continue
				}
				if got := tc.getString(idx); got != want {
					t.Errorf("string %d = %q, want %q", idx, got, want)
				}
			}
			if got := tc.getDescriptor(0x80, descString, 0, 0); !bytes.Equal(got, []byte{4, 3, 0x09, 0x04}) {
				t.Errorf("language IDs % x", got)
			}
		})
	}
}

// TestProfileFacts pins the descriptor facts of devices/PROTOCOLS.md (each
// case name ends with its section anchor there) that decide how karalabe/hid talks to each light: report IDs, sizes,
// interrupt OUT versus control SET_REPORT, and the interface number.
func TestProfileFacts(t *testing.T) {
	type fact struct {
		iface    uint8
		out      *Report // output report, nil if none
		feature  []Report
		outEP    bool
		input    int // input report data size, 0 if none checked
		numbered bool
	}
	tests := []struct {
		id, product string
		vid, pid    uint16
		want        fact
	}{
		{"Kuando Omega #kuando-report", "", 0x27BB, 0x3BCD, fact{iface: 0, out: &Report{0, 64}, outEP: true, input: 64}},
		{"Luxafor Flag #luxafor-report", "LUXAFOR FLAG", 0x04D8, 0xF372, fact{iface: 0, out: &Report{0, 8}, outEP: true, input: 8}},
		{"Blynclight #embrava-report", "", 0x2C0D, 0x0001, fact{iface: 0, out: &Report{0, 8}, outEP: true}},
		{"Plantronics #plantronics", "", 0x047F, 0xD005, fact{iface: 0, out: &Report{0, 8}, outEP: true}},
		{"BLYNCUSB10 #early-blync", "", 0x1130, 0x0001, fact{iface: 1, out: &Report{0, 8}, outEP: false}},
		{"BLYNCUSB20 #early-blync", "", 0x1130, 0x1E00, fact{iface: 1, out: &Report{0, 64}, outEP: true}},
		{"blink(1) #blink1", "", 0x27B8, 0x01ED, fact{iface: 0, feature: []Report{{1, 8}, {2, 60}}, numbered: true}},
		{"BlinkStick #blinkstick", "", 0x20A0, 0x41E5, fact{iface: 0, feature: []Report{{1, 3}, {2, 32}, {3, 32}, {4, 1}, {5, 5}, {6, 25}, {7, 49}, {8, 97}, {9, 193}, {0x81, 1}}, numbered: true}},
		{"EPOS #epos", "", 0x1395, 0x0074, fact{iface: 0, out: &Report{1, 63}, outEP: true, numbered: true}},
		{"MuteMe #muteme-report", "", 0x20A0, 0x42DA, fact{iface: 0, out: &Report{0, 1}, outEP: true, input: 8}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			p, ok := ProfileFor(tt.vid, tt.pid, tt.product)
			if !ok {
				t.Fatalf("no profile for %04X:%04X", tt.vid, tt.pid)
			}
			in := p.Interface(tt.want.iface)
			if in == nil {
				t.Fatalf("no interface %d", tt.want.iface)
			}
			var out *Report
			if len(in.Output) > 0 {
				out = &in.Output[0]
			}
			if !cmp.Equal(out, tt.want.out) || (in.OutEndpoint != 0) != tt.want.outEP || in.numbered() != tt.want.numbered {
				t.Errorf("output %v outEP %v numbered %v, want %v %v %v", out, in.OutEndpoint != 0, in.numbered(), tt.want.out, tt.want.outEP, tt.want.numbered)
			}
			if tt.want.feature != nil && !cmp.Equal(in.Feature, tt.want.feature) {
				t.Errorf("feature reports %v, want %v", in.Feature, tt.want.feature)
			}
			if tt.want.input > 0 && (len(in.Input) == 0 || in.Input[0].Size != tt.want.input) {
				t.Errorf("input reports %v, want size %d", in.Input, tt.want.input)
			}
		})
	}
}

func TestProfileTable(t *testing.T) {
	names := map[string]bool{}
	ps := Profiles()
	for i, p := range ps {
		if names[p.Name] {
			t.Errorf("duplicate profile name %q", p.Name)
		}
		names[p.Name] = true
		if i > 0 {
			q := ps[i-1]
			if q.VendorID == p.VendorID && q.ProductID == p.ProductID && q.Product == p.Product {
				t.Errorf("duplicate profile %s %q", p.ID(), p.Product)
			}
		}
		if len(p.Interfaces) == 0 || p.Source == "" || (p.Speed != LowSpeed && p.Speed != FullSpeed) {
			t.Errorf("%s: incomplete profile %+v", p.Name, p)
		}
		for _, in := range p.Interfaces {
			if in.InEndpoint&0x80 == 0 || (in.OutEndpoint != 0 && in.OutEndpoint&0x80 != 0) {
				t.Errorf("%s: bad endpoint addresses %#x %#x", p.Name, in.InEndpoint, in.OutEndpoint)
			}
			if p.Speed == LowSpeed && in.PacketSize > 8 {
				t.Errorf("%s: low-speed interrupt endpoint of %d bytes", p.Name, in.PacketSize)
			}
		}
		if got, ok := ProfileNamed(p.Name); !ok || !cmp.Equal(got, p) {
			t.Errorf("ProfileNamed(%q) = %v, %v", p.Name, got.Name, ok)
		}
	}
	// Profiles returns copies.
	ps[0].Interfaces[0].Number = 99
	if Profiles()[0].Interfaces[0].Number == 99 {
		t.Error("Profiles shares memory with the table")
	}
}

func newDevice(t *testing.T, name string) (*Device, string) {
	t.Helper()
	p, ok := ProfileNamed(name)
	if !ok {
		t.Fatalf("no profile %q", name)
	}
	srv := NewServer(Options{Logf: t.Logf})
	d := srv.Add(p)
	return d, startServer(t, srv)
}

func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestInterruptOutRecorded(t *testing.T) {
	d, addr := newDevice(t, "luxafor-flag")
	tc := importDevice(t, addr, d.BusID())
	report := []byte{0x01, 0xFF, 0xFF, 0, 0, 0, 0, 0}
	seq := tc.submit(0x01, false, nil, len(report), report)
	h, _ := tc.mustRead()
	if h.Command != retSubmit || h.Seqnum != seq || h.Word20 != 0 || h.Length != int32(len(report)) {
		t.Errorf("reply %+v, want RET_SUBMIT status 0 length %d", h, len(report))
	}
	recs, err := d.WaitRecords(ctxTimeout(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	want := Record{Kind: InterruptOut, Interface: 0, Type: OutputReport, ReportID: 0, Data: report}
	if got := recs[0]; got.Time.IsZero() || !cmp.Equal(got, want, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Time" }, cmp.Ignore())) {
		t.Errorf("record %v, want %v", got, want)
	}
	d.ClearRecords()
	if n := len(d.Records()); n != 0 {
		t.Errorf("%d records after ClearRecords", n)
	}
}

func TestNumberedInterruptOut(t *testing.T) {
	d, addr := newDevice(t, "epos-ui20bl")
	tc := importDevice(t, addr, d.BusID())
	report := append([]byte{0x01, 0x12, 0x02, 0xFF}, make([]byte, 60)...)
	tc.submit(0x01, false, nil, len(report), report)
	tc.mustRead()
	recs, err := d.WaitRecords(ctxTimeout(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	if recs[0].ReportID != 1 || !bytes.Equal(recs[0].Data, report) {
		t.Errorf("record %v, want report ID 1 and the whole buffer", recs[0])
	}
}

func TestSetAndGetFeatureReport(t *testing.T) {
	d, addr := newDevice(t, "blink1-mk3")
	tc := importDevice(t, addr, d.BusID())
	report := []byte{0x01, 0x63, 0xFF, 0, 0, 0, 0x0A, 0, 0}
	if st, _ := tc.control(0x21, hidSetReport, 0x0301, 0, 0, report); st != 0 {
		t.Fatalf("SET_REPORT status %d", st)
	}
	recs, err := d.WaitRecords(ctxTimeout(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	if r := recs[0]; r.Kind != SetReport || r.Type != FeatureReport || r.ReportID != 1 || !bytes.Equal(r.Data, report) {
		t.Errorf("record %v", r)
	}
	// GET_REPORT(Feature 1) echoes the last SET_REPORT, unless a reply is set.
	if st, b := tc.control(0xA1, hidGetReport, 0x0301, 0, 9, nil); st != 0 || !bytes.Equal(b, report) {
		t.Errorf("GET_REPORT: status %d % x", st, b)
	}
	d.SetFeatureReply(1, []byte{1, 0x72, 1, 2, 3, 0, 0, 0, 0})
	if st, b := tc.control(0xA1, hidGetReport, 0x0301, 0, 9, nil); st != 0 || b[1] != 0x72 {
		t.Errorf("GET_REPORT with reply: status %d % x", st, b)
	}
	if st, _ := tc.control(0xA1, hidGetReport, 0x0302, 0, 61, nil); st != StatusStall {
		t.Errorf("GET_REPORT of a report never set: status %d, want STALL", st)
	}
}

func TestSetReportOutputOnInterface1(t *testing.T) {
	d, addr := newDevice(t, "blyncusb10-0001")
	tc := importDevice(t, addr, d.BusID())
	report := []byte{0x55, 0x53, 0x42, 0x43, 0x00, 0x40, 0x02, 0xEF}
	if st, _ := tc.control(0x21, hidSetReport, 0x0200, 1, 0, report); st != 0 {
		t.Fatalf("SET_REPORT status %d", st)
	}
	recs, err := d.WaitRecords(ctxTimeout(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	if r := recs[0]; r.Kind != SetReport || r.Type != OutputReport || r.Interface != 1 || !bytes.Equal(r.Data, report) {
		t.Errorf("record %v", r)
	}
	// Interface 2 does not exist: class requests to it STALL.
	if st, _ := tc.control(0x21, hidSetReport, 0x0200, 2, 0, report); st != StatusStall {
		t.Errorf("SET_REPORT to a missing interface: status %d", st)
	}
}

func TestInterruptInHeldUntilInput(t *testing.T) {
	d, addr := newDevice(t, "luxafor-mute")
	tc := importDevice(t, addr, d.BusID())
	seq := tc.submit(0x81, true, nil, 8, nil)
	if h, _, err := tc.read(200 * time.Millisecond); err == nil {
		t.Fatalf("interrupt IN completed without input: %+v", h)
	}
	p := d.Profile()
	d.QueueInput(p.SampleInput)
	h, data := tc.mustRead()
	if h.Seqnum != seq || h.Word20 != 0 || !bytes.Equal(data, p.SampleInput) {
		t.Errorf("reply %+v % x, want seq %d data % x", h, data, seq, p.SampleInput)
	}
	// Input queued before the URB completes it at once.
	d.QueueInput([]byte{0x83, 0, 0, 0, 0, 0, 0, 0})
	seq = tc.submit(0x81, true, nil, 8, nil)
	if h, data := tc.mustRead(); h.Seqnum != seq || data[0] != 0x83 || data[1] != 0 {
		t.Errorf("reply %+v % x", h, data)
	}
}

func TestNumberedInputGetsReportID(t *testing.T) {
	d, addr := newDevice(t, "epos-ui20bl")
	tc := importDevice(t, addr, d.BusID())
	tc.submit(0x81, true, nil, 64, nil)
	d.QueueInput([]byte{0xAA})
	if _, data := tc.mustRead(); !bytes.Equal(data, []byte{0x01, 0xAA}) {
		t.Errorf("input % x, want 01 aa", data)
	}
}

func TestUnlink(t *testing.T) {
	d, addr := newDevice(t, "kuando-omega")
	tc := importDevice(t, addr, d.BusID())
	seq := tc.submit(0x81, true, nil, 64, nil)
	u := tc.unlink(seq)
	h, _ := tc.mustRead()
	if h.Command != retUnlink || h.Seqnum != u || int32(h.Word20) != StatusConnReset {
		t.Errorf("reply %+v, want RET_UNLINK seq %d status -104", h, u)
	}
	// Unlinking a URB that already completed answers status 0.
	u = tc.unlink(seq)
	if h, _ := tc.mustRead(); h.Command != retUnlink || h.Seqnum != u || h.Word20 != 0 {
		t.Errorf("reply %+v, want RET_UNLINK status 0", h)
	}
	// The unlinked URB must not complete later.
	d.QueueInput(d.Profile().SampleInput)
	if h, _, err := tc.read(200 * time.Millisecond); err == nil {
		t.Errorf("unlinked URB completed: %+v", h)
	}
}

func TestStallReports(t *testing.T) {
	d, addr := newDevice(t, "blynclight")
	tc := importDevice(t, addr, d.BusID())
	d.StallReports(1)
	report := []byte{0xFF, 0, 0, 0, 0, 0, 0xFF, 0x22}
	tc.submit(0x01, false, nil, 8, report)
	if h, _ := tc.mustRead(); int32(h.Word20) != StatusStall {
		t.Errorf("status %d, want STALL", int32(h.Word20))
	}
	tc.submit(0x01, false, nil, 8, report)
	if h, _ := tc.mustRead(); h.Word20 != 0 {
		t.Errorf("status %d after the stall, want 0", int32(h.Word20))
	}
	if recs := d.Records(); len(recs) != 1 {
		t.Errorf("%d records, want only the accepted report", len(recs))
	}
	d.StallReports(-1)
	for range 3 {
		if st, _ := tc.control(0x21, hidSetReport, 0x0200, 0, 0, report); st != StatusStall {
			t.Errorf("SET_REPORT status %d, want STALL", st)
		}
	}
}

func TestVanishOnWriteAndReplug(t *testing.T) {
	d, addr := newDevice(t, "kuando-omega")
	tc := importDevice(t, addr, d.BusID())
	in := tc.submit(0x81, true, nil, 64, nil)
	_ = in
	d.VanishOnWrite()
	tc.submit(0x01, false, nil, 64, make([]byte, 64))
	tc.expectEOF()
	ctx := ctxTimeout(t)
	if err := d.WaitDetached(ctx); err != nil {
		t.Fatal(err)
	}
	if len(d.Records()) != 0 {
		t.Error("the lost report was recorded")
	}
	if _, err := Import(dial(t, addr), d.BusID()); !errors.Is(err, ErrImportRefused) {
		t.Fatalf("import of a vanished device: %v, want ErrImportRefused", err)
	}
	d.Plug()
	tc = importDevice(t, addr, d.BusID())
	if err := d.WaitImported(ctx, 2); err != nil {
		t.Fatal(err)
	}
	tc.submit(0x01, false, nil, 64, make([]byte, 64))
	if h, _ := tc.mustRead(); h.Word20 != 0 {
		t.Errorf("write after re-plug: status %d", int32(h.Word20))
	}
}

func TestUnplugClosesConnection(t *testing.T) {
	d, addr := newDevice(t, "muteme-original")
	tc := importDevice(t, addr, d.BusID())
	tc.submit(0x81, true, nil, 8, nil)
	d.Unplug()
	tc.expectEOF()
	if err := d.WaitDetached(ctxTimeout(t)); err != nil {
		t.Fatal(err)
	}
	if d.Attached() {
		t.Error("still attached")
	}
	if _, err := Import(dial(t, addr), d.BusID()); !errors.Is(err, ErrImportRefused) {
		t.Errorf("import while unplugged: %v", err)
	}
	d.Plug()
	importDevice(t, addr, d.BusID())
	if d.Imports() != 2 {
		t.Errorf("Imports = %d, want 2", d.Imports())
	}
}

func TestImportRefusals(t *testing.T) {
	d, addr := newDevice(t, "luxafor-flag")
	if _, err := Import(dial(t, addr), "9-9"); !errors.Is(err, ErrImportRefused) {
		t.Errorf("unknown bus id: %v", err)
	}
	importDevice(t, addr, d.BusID())
	if _, err := Import(dial(t, addr), d.BusID()); !errors.Is(err, ErrImportRefused) {
		t.Errorf("second import of an attached device: %v", err)
	}
}

func TestStandardRequests(t *testing.T) {
	d, addr := newDevice(t, "kuando-omega")
	tc := importDevice(t, addr, d.BusID())
	for _, r := range []struct {
		name         string
		rt, req      uint8
		value, index uint16
		length       int
		wantSt       int32
		wantData     []byte
	}{
		{"SET_CONFIGURATION", 0x00, reqSetConfig, 1, 0, 0, 0, nil},
		{"GET_CONFIGURATION", 0x80, reqGetConfig, 0, 0, 1, 0, []byte{1}},
		{"GET_STATUS", 0x80, reqGetStatus, 0, 0, 2, 0, []byte{0, 0}},
		{"SET_INTERFACE", 0x01, reqSetInterface, 0, 0, 0, 0, nil},
		{"SET_IDLE", 0x21, hidSetIdle, 0, 0, 0, 0, nil},
		{"CLEAR_FEATURE(ENDPOINT_HALT)", 0x02, reqClearFeature, 0, 0x81, 0, 0, nil},
		{"device qualifier", 0x80, reqGetDescriptor, 0x0600, 0, 10, StatusStall, nil},
		{"vendor request", 0xC0, 0x42, 0, 0, 8, StatusStall, nil},
		{"HID descriptor", 0x81, reqGetDescriptor, 0x2100, 0, 9, 0, []byte{9, 0x21, 0x11, 0x01, 0, 1, 0x22, byte(len((&Interface{Input: []Report{{0, 64}}, Output: []Report{{0, 64}}}).ReportDescriptor())), 0}},
	} {
		st, data := tc.control(r.rt, r.req, r.value, r.index, r.length, nil)
		if st != r.wantSt || !bytes.Equal(data, r.wantData) {
			t.Errorf("%s: status %d % x, want %d % x", r.name, st, data, r.wantSt, r.wantData)
		}
	}
}

func TestDevlist(t *testing.T) {
	srv := NewServer(Options{})
	a, _ := ProfileNamed("kuando-omega")
	b, _ := ProfileNamed("blyncusb20")
	da := srv.Add(a)
	srv.Add(b)
	addr := startServer(t, srv)
	importDevice(t, addr, da.BusID()) // attached devices are not listed
	recs, err := List(dial(t, addr))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].ProductID != 0x1E00 || len(recs[0].InterfaceDescriptors) != 2 || recs[0].InterfaceDescriptors[1][0] != 3 {
		t.Errorf("devlist %+v", recs)
	}
}

func TestServeStopsAndClosesConnections(t *testing.T) {
	srv := NewServer(Options{})
	p, _ := ProfileNamed("luxafor-flag")
	d := srv.Add(p)
	ln, err := Listen()
	if err != nil {
		t.Fatal(err)
	}
	if host, _, _ := net.SplitHostPort(ln.Addr().String()); host != "127.0.0.1" {
		t.Errorf("listening on %s, want loopback only", ln.Addr())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	tc := importDevice(t, ln.Addr().String(), d.BusID())
	tc.submit(0x81, true, nil, 8, nil) // a pending URB must not block shutdown
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
	tc.expectEOF()
}

func TestParseReportDescriptor(t *testing.T) {
	// blink(1) mk2 style descriptor written by hand (devices/PROTOCOLS.md#blink1):
	// usage page FF00, report ID 1, 8 × 8-bit feature.
	d := []byte{0x06, 0x00, 0xFF, 0x09, 0x01, 0xA1, 0x01, 0x15, 0x00, 0x26, 0xFF, 0x00,
		0x75, 0x08, 0x85, 0x01, 0x95, 0x08, 0x09, 0x00, 0xB2, 0x02, 0x01, 0xC0}
	got, err := ParseReportDescriptor(d)
	if err != nil {
		t.Fatal(err)
	}
	if want := []ParsedReport{{FeatureReport, 1, 64}}; !cmp.Equal(got, want) {
		t.Errorf("%s", cmp.Diff(want, got))
	}
	if _, err := ParseReportDescriptor([]byte{0x26, 0xFF}); err == nil {
		t.Error("truncated descriptor parsed")
	}
}

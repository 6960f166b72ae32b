package hid

import (
	"bytes"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	karalabe "github.com/karalabe/hid"

	"github.com/onair-dev/onair/devices"
)

func TestFrame(t *testing.T) {
	unnumbered := []byte{0x00, 0x01, 0xFF, 0xFF, 0x00, 0x00} // Luxafor-style, report ID 00
	startsWith00 := []byte{0x00, 0x00, 0x00}                 // MuteMe "off": data byte 00
	numbered := []byte{0x01, 0x12, 0x02}                     // EPOS output report 1
	feature := []byte{0x01, 0x63, 0xFF, 0x00, 0x00}          // blink(1) feature report 1
	tests := []struct {
		goos    string
		kind    devices.ReportKind
		in      []byte
		want    []byte
		wantErr error
	}{
		// devices/PROTOCOLS.md#report-ids-per-os: Linux/macOS: always hand hidapi 00 + data.
		{"linux", devices.Output, unnumbered, unnumbered, nil},
		{"darwin", devices.Output, unnumbered, unnumbered, nil},
		{"linux", devices.Output, startsWith00, startsWith00, nil},
		// devices/PROTOCOLS.md#report-ids-per-os: Windows: karalabe prepends 00; don't add another.
		{"windows", devices.Output, unnumbered, unnumbered[1:], nil},
		{"windows", devices.Output, startsWith00, startsWith00[1:], nil},
		// devices/PROTOCOLS.md#report-ids-per-os: numbered output report: fine with hidapi, impossible on Windows.
		{"linux", devices.Output, numbered, numbered, nil},
		{"darwin", devices.Output, numbered, numbered, nil},
		{"windows", devices.Output, numbered, nil, devices.ErrUnsupported},
		// devices/PROTOCOLS.md#report-ids-per-os: feature reports: id + data everywhere.
		{"linux", devices.Feature, feature, feature, nil},
		{"darwin", devices.Feature, feature, feature, nil},
		{"windows", devices.Feature, feature, feature, nil},
	}
	for _, tt := range tests {
		got, err := frame(tt.goos, tt.kind, tt.in)
		if !errors.Is(err, tt.wantErr) || !bytes.Equal(got, tt.want) {
			t.Errorf("frame(%s, %s, % X) = % X, %v; want % X, %v", tt.goos, tt.kind, tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	for _, goos := range []string{"linux", "windows"} {
		if _, err := frame(goos, devices.Output, nil); err == nil {
			t.Errorf("frame(%s, empty) succeeded", goos)
		}
	}
	if _, err := frame("windows", devices.Output, []byte{0x00}); err == nil {
		t.Error("frame(windows, report ID only) succeeded")
	}
	if _, err := frame("linux", 0, []byte{0x00}); err == nil {
		t.Error("frame(invalid kind) succeeded")
	}
}

// fakeDevice is a karalabe.Device that records writes the way karalabe
// passes them to hidapi.
type fakeDevice struct {
	writes, features [][]byte
	read             []byte
	readTimeout      int
	closed           int
	err              error
}

var _ karalabe.Device = (*fakeDevice)(nil)

func (f *fakeDevice) Close() error { f.closed++; return nil }
func (f *fakeDevice) Write(b []byte) (int, error) {
	f.writes = append(f.writes, bytes.Clone(b))
	return len(b), f.err
}
func (f *fakeDevice) Read(b []byte) (int, error) { return f.ReadTimeout(b, -1) }
func (f *fakeDevice) ReadTimeout(b []byte, timeout int) (int, error) {
	f.readTimeout = timeout
	return copy(b, f.read), f.err
}
func (f *fakeDevice) GetFeatureReport(b []byte) (int, error) { return 0, f.err }
func (f *fakeDevice) SendFeatureReport(b []byte) (int, error) {
	f.features = append(f.features, bytes.Clone(b))
	return len(b), f.err
}

func TestTransportFramesPerOS(t *testing.T) {
	report := []byte{0x00, 0x01, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x00}
	for goos, want := range map[string][]byte{"linux": report, "darwin": report, "windows": report[1:]} {
		f := &fakeDevice{}
		tr := &Transport{goos: goos, dev: f}
		n, err := tr.Write(report)
		if err != nil || n != len(report) {
			t.Fatalf("%s: Write = %d, %v", goos, n, err)
		}
		if len(f.writes) != 1 || !bytes.Equal(f.writes[0], want) {
			t.Errorf("%s: wrote % X, want % X", goos, f.writes, want)
		}
		if _, err := tr.SendFeatureReport([]byte{0x01, 0x63}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(f.features[0], []byte{0x01, 0x63}) {
			t.Errorf("%s: feature % X", goos, f.features[0])
		}
	}
}

func TestTransportReadCloseErrors(t *testing.T) {
	f := &fakeDevice{read: []byte{0x83, 0x00}}
	tr := &Transport{goos: "linux", dev: f}
	buf := make([]byte, 8)
	n, err := tr.ReadTimeout(buf, 250*time.Millisecond)
	if err != nil || n != 2 || f.readTimeout != 250 {
		t.Errorf("ReadTimeout = %d, %v (timeout %d ms)", n, err, f.readTimeout)
	}
	if _, err := tr.ReadTimeout(buf, 0); err != nil || f.readTimeout != 0 {
		t.Errorf("ReadTimeout(0): %v, timeout %d ms, want non-blocking 0", err, f.readTimeout)
	}
	if _, err := tr.ReadTimeout(buf, time.Microsecond); err != nil || f.readTimeout != 1 {
		t.Errorf("ReadTimeout(1µs): %v, timeout %d ms, want 1", err, f.readTimeout)
	}
	f.err = errors.New("hidapi: boom")
	if _, err := tr.Write([]byte{0x00, 0x01}); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("Write error = %v", err)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tr.Close(); err != nil || f.closed != 1 {
		t.Errorf("second Close = %v, device closed %d times", err, f.closed)
	}
	if _, err := tr.Write([]byte{0x00, 0x01}); !errors.Is(err, errClosed) {
		t.Errorf("Write after Close = %v", err)
	}
	if _, err := tr.ReadTimeout(buf, 0); !errors.Is(err, errClosed) {
		t.Errorf("Read after Close = %v", err)
	}
}

func TestWindowsRefusesNumberedOutput(t *testing.T) {
	f := &fakeDevice{}
	tr := &Transport{goos: "windows", dev: f}
	_, err := tr.Write([]byte{0x01, 0x12, 0x02})
	if !errors.Is(err, devices.ErrUnsupported) || len(f.writes) != 0 {
		t.Errorf("Write = %v, wrote %d", err, len(f.writes))
	}
}

func TestFilter(t *testing.T) {
	raw := []karalabe.DeviceInfo{
		{Path: "1-1:1.0", VendorID: 0x27BB, ProductID: 0x3BCD, Product: "BUSYLIGHT OMEGA", Interface: 0, Release: 0x0100},
		{Path: "1-1:1.0", VendorID: 0x27BB, ProductID: 0x3BCD, Product: "BUSYLIGHT OMEGA", Interface: 0},
		{Path: "1-2:1.0", VendorID: 0x046D, ProductID: 0xC077, Product: "USB Optical Mouse"},
		{Path: "1-3:1.0", VendorID: 0x04D8, ProductID: 0xF372},
	}
	known := filter(raw, false)
	if len(known) != 2 || known[0].Path != "1-1:1.0" || known[1].VID != 0x04D8 {
		t.Fatalf("filter(known) = %v", known)
	}
	want := devices.Info{VID: 0x27BB, PID: 0x3BCD, Product: "BUSYLIGHT OMEGA", Interface: 0, Path: "1-1:1.0", Bus: devices.HID, Release: 0x0100}
	if known[0] != want {
		t.Errorf("info = %+v, want %+v", known[0], want)
	}
	if all := filter(raw, true); len(all) != 3 {
		t.Errorf("filter(all) = %d devices, want 3", len(all))
	}
}

func TestUSBFSNode(t *testing.T) {
	sysfs := fstest.MapFS{
		"1-2.3/busnum": {Data: []byte("1\n")},
		"1-2.3/devnum": {Data: []byte("14\n")},
		"2-1/busnum":   {Data: []byte("2\n")},
		"2-1/devnum":   {Data: []byte("x\n")},
	}
	node, err := usbfsNode(sysfs, "1-2.3:1.0")
	if err != nil || node != "/dev/bus/usb/001/014" {
		t.Errorf("usbfsNode = %q, %v", node, err)
	}
	for _, bad := range []string{"2-1:1.0", "3-1:1.0", "nocolon", ":1.0", "../x:1.0", `\\?\hid#vid_27bb`} {
		if _, err := usbfsNode(sysfs, bad); err == nil {
			t.Errorf("usbfsNode(%q) succeeded", bad)
		}
	}
}

func TestOpenErrorMessages(t *testing.T) {
	omega := devices.Info{VID: 0x27BB, PID: 0x3BCD, Path: "1-2:1.0", Bus: devices.HID}
	perm := &OpenError{Info: omega, Driver: &devices.Kuando, GOOS: "linux", Node: "/dev/bus/usb/001/004", Err: ErrPermission}
	msg := perm.Error()
	for _, want := range []string{
		"Kuando Busylight Omega", "permission denied on /dev/bus/usb/001/004",
		"/etc/udev/rules.d/60-onair.rules",
		"onair lights udev | sudo tee /etc/udev/rules.d/60-onair.rules",
		"sudo udevadm control --reload && sudo udevadm trigger",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("linux permission message lacks %q:\n%s", want, msg)
		}
	}
	if !errors.Is(perm, ErrPermission) || !errors.Is(perm, fs.ErrPermission) {
		t.Error("permission OpenError does not match ErrPermission and fs.ErrPermission")
	}

	lux := devices.Info{VID: 0x04D8, PID: 0xF372, Product: "LUXAFOR FLAG", Path: "DevSrvsID:4294971234", Bus: devices.HID}
	busy := openError(lux, "darwin", errors.New("hidapi: failed to open device"))
	msg = busy.Error()
	for _, want := range []string{"Luxafor Flag", "in use by another program", "quit Luxafor app", "macOS"} {
		if !strings.Contains(msg, want) {
			t.Errorf("darwin message lacks %q:\n%s", want, msg)
		}
	}
	if !errors.Is(busy, ErrInUse) || errors.Is(busy, fs.ErrPermission) {
		t.Errorf("darwin OpenError: Is(ErrInUse)=%v Is(fs.ErrPermission)=%v", errors.Is(busy, ErrInUse), errors.Is(busy, fs.ErrPermission))
	}

	win := openError(omega, "windows", errors.New("hidapi: failed to open device"))
	if msg := win.Error(); !strings.Contains(msg, "failed to open device") || !strings.Contains(msg, "Kuando Hub") {
		t.Errorf("windows message: %s", msg)
	}
	unknown := openError(devices.Info{VID: 1, PID: 2, Path: "x"}, "windows", errors.New("boom"))
	if msg := unknown.Error(); !strings.HasPrefix(msg, "open 0001:0002 (x): boom") {
		t.Errorf("unknown device message: %s", msg)
	}
}

func TestExplainTransferError(t *testing.T) {
	raw := errors.New("hidapi: hid_error is not implemented yet")
	got := explain(raw)
	if !errors.Is(got, raw) || !strings.Contains(got.Error(), "rejected the report or was unplugged") {
		t.Errorf("explain(%v) = %v", raw, got)
	}
	other := errors.New("device closed")
	if explain(other) != other {
		t.Error("explain changed an unrelated error")
	}
}

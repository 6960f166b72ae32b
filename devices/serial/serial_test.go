package serial

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/onair-dev/onair/devices"
)

func TestToInfos(t *testing.T) {
	ports := []port{
		{Name: "/dev/ttyACM0", IsUSB: true, VID: "2047", PID: "03df", Product: "fit_StatUSB", Serial: "1"},
		{Name: "/dev/ttyACM1", IsUSB: true, VID: "303a", PID: "81df", Manufacturer: "GREYNUT LTD"},
		{Name: "/dev/ttyUSB0", IsUSB: true, VID: "10c4", PID: "ea60", Product: "CP2102"},
		{Name: "/dev/ttyS0", IsUSB: false},
		{Name: "/dev/ttyACM9", IsUSB: true, VID: "zz", PID: "1"},
	}
	got := toInfos(ports, false)
	want := []devices.Info{
		{VID: 0x2047, PID: 0x03DF, Product: "fit_StatUSB", Serial: "1", Interface: -1, Path: "/dev/ttyACM0", Bus: devices.Serial},
		{VID: 0x303A, PID: 0x81DF, Manufacturer: "GREYNUT LTD", Interface: -1, Path: "/dev/ttyACM1", Bus: devices.Serial},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("toInfos(known) = %+v\nwant %+v", got, want)
	}
	if all := toInfos(ports, true); len(all) != 3 {
		t.Errorf("toInfos(all) = %d ports, want 3 (USB with valid IDs)", len(all))
	}
}

func TestKnownSerialID(t *testing.T) {
	for _, tt := range []struct {
		vid, pid string
		want     bool
	}{
		{"2047", "03DF", true}, {"303a", "81df", true},
		{"27bb", "3bcd", false}, // a HID light is never probed as serial
		{"10c4", "ea60", false}, {"", "", false},
	} {
		if got := knownSerialID(tt.vid, tt.pid); got != tt.want {
			t.Errorf("knownSerialID(%s, %s) = %v", tt.vid, tt.pid, got)
		}
	}
}

func TestMode(t *testing.T) {
	busy := mode(devices.Info{VID: 0x303A, PID: 0x81DF, Bus: devices.Serial})
	if busy.BaudRate != 1500000 || busy.InitialStatusBits.DTR || !busy.InitialStatusBits.RTS || busy.DataBits != 8 {
		t.Errorf("Busy Tag mode = %+v %+v", busy, busy.InitialStatusBits)
	}
	fit := mode(devices.Info{VID: 0x2047, PID: 0x03DF, Bus: devices.Serial})
	if fit.BaudRate != 115200 || !fit.InitialStatusBits.DTR {
		t.Errorf("fit-statUSB mode = %+v", fit)
	}
}

type fakePort struct {
	bytes.Buffer
	resets  int
	timeout time.Duration
	short   bool
	closed  int
	in      []byte
}

func (f *fakePort) Write(p []byte) (int, error) {
	if f.short {
		return f.Buffer.Write(p[:len(p)-1])
	}
	return f.Buffer.Write(p)
}
func (f *fakePort) Read(p []byte) (int, error)           { return copy(p, f.in), nil }
func (f *fakePort) ResetInputBuffer() error              { f.resets++; return nil }
func (f *fakePort) SetReadTimeout(d time.Duration) error { f.timeout = d; return nil }
func (f *fakePort) Close() error                         { f.closed++; return nil }

func TestTransport(t *testing.T) {
	f := &fakePort{in: []byte("OK\r\n")}
	tr := &Transport{port: f}
	if n, err := tr.Write([]byte("AT+SC=127,FF0000\r\n")); err != nil || n != 18 {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if f.String() != "AT+SC=127,FF0000\r\n" || f.resets != 1 {
		t.Errorf("wrote %q with %d input resets", f.String(), f.resets)
	}
	if _, err := tr.SendFeatureReport([]byte{1}); !errors.Is(err, devices.ErrUnsupported) {
		t.Errorf("SendFeatureReport = %v", err)
	}
	buf := make([]byte, 8)
	if n, err := tr.ReadTimeout(buf, 0); err != nil || string(buf[:n]) != "OK\r\n" || f.timeout != time.Millisecond {
		t.Errorf("ReadTimeout = %q, %v (timeout %v)", buf[:n], err, f.timeout)
	}
	f.short = true
	if _, err := tr.Write([]byte("B#FF0000\n")); !errors.Is(err, io.ErrShortWrite) {
		t.Errorf("short write = %v", err)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tr.Close(); err != nil || f.closed != 1 {
		t.Errorf("second Close = %v, closed %d", err, f.closed)
	}
	if _, err := tr.Write([]byte("x")); !errors.Is(err, errClosed) {
		t.Errorf("Write after Close = %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	info := devices.Info{VID: 0x2047, PID: 0x03DF, Path: "/dev/does-not-exist-onair", Bus: devices.Serial}
	_, err := Open(info)
	if err == nil {
		t.Fatal("Open of a missing port succeeded")
	}
	if !strings.Contains(err.Error(), "/dev/does-not-exist-onair") {
		t.Errorf("error does not name the port: %v", err)
	}
}

// answeringPort is a serial port whose device answers each write with
// reply, which Read then returns once (and times out after).
type answeringPort struct {
	reply    []byte
	pending  []byte
	written  bytes.Buffer
	resets   int
	timeouts []time.Duration
}

func (a *answeringPort) Write(p []byte) (int, error) {
	a.written.Write(p)
	a.pending = append(a.pending, a.reply...)
	return len(p), nil
}
func (a *answeringPort) Read(p []byte) (int, error) {
	n := copy(p, a.pending)
	a.pending = a.pending[n:]
	return n, nil
}
func (a *answeringPort) ResetInputBuffer() error { a.resets++; a.pending = nil; return nil }
func (a *answeringPort) SetReadTimeout(d time.Duration) error {
	a.timeouts = append(a.timeouts, d)
	return nil
}
func (a *answeringPort) Close() error { return nil }

// TestDeviceReadsReplies runs a Busy Tag through this package's Transport:
// every command's OK is read, nothing is left in the buffer, and a light
// that stops answering fails the write with devices.ErrNoReply.
func TestDeviceReadsReplies(t *testing.T) {
	port := &answeringPort{reply: []byte("OK\r\n")}
	info := devices.Info{VID: 0x303A, PID: 0x81DF, Bus: devices.Serial, Path: "/dev/ttyACM1", Interface: -1}
	d, err := devices.Open(info, &Transport{port: port}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := d.Set(devices.State{Effect: devices.Off}); err != nil {
			t.Fatalf("Set = %v", err)
		}
		if len(port.pending) != 0 {
			t.Fatalf("reply left unread: %q", port.pending)
		}
	}
	if port.written.String() != strings.Repeat("AT+SC=127,000000\r\n", 3) {
		t.Errorf("wrote %q", port.written.String())
	}
	// Per command: the OK read waits up to ReplyTimeout, the drain 1 ms.
	if len(port.timeouts) != 6 || port.timeouts[0] != devices.ReplyTimeout || port.timeouts[1] != time.Millisecond {
		t.Errorf("read timeouts %v", port.timeouts)
	}
	port.reply = nil
	if err := d.Set(devices.State{Effect: devices.Off}); !errors.Is(err, devices.ErrNoReply) {
		t.Errorf("Set to a silent light = %v, want ErrNoReply", err)
	}
}

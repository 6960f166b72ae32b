package devices_test

import (
	"errors"
	"testing"

	"github.com/onair-dev/onair/devices"
	"github.com/onair-dev/onair/devices/devicestest"
)

func TestOpenUnknownClosesTransport(t *testing.T) {
	rec := &closeCounter{}
	_, err := devices.Open(hidInfo(0x1234, 0x5678, "mouse"), rec, nil)
	wantErr(t, err, devices.ErrUnknownDevice)
	if rec.closed != 1 {
		t.Errorf("transport closed %d times, want 1", rec.closed)
	}
}

type closeCounter struct {
	devicestest.Record
	closed int
}

func (c *closeCounter) Close() error { c.closed++; return nil }

func TestOpenDoesNoIO(t *testing.T) {
	p := &devicestest.Playback{}
	d, err := devices.Open(omega, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.String(); got != "Kuando Busylight Omega" {
		t.Errorf("String = %q", got)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("Close after no I/O: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := d.Set(solid(red)); err == nil {
		t.Error("Set after Close succeeded")
	}
}

func TestSetWriteErrorIsReturned(t *testing.T) {
	// A playback expecting nothing makes every write fail.
	p := &devicestest.Playback{}
	d, err := devices.Open(luxaforFlag, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = d.Set(solid(red))
	wantErr(t, err, devicestest.ErrMismatch)
	if err := d.Close(); !errors.Is(err, devicestest.ErrMismatch) {
		t.Errorf("Close = %v, want the recorded mismatch", err)
	}
}

func TestPlaybackReportsLeftoverOps(t *testing.T) {
	p := &devicestest.Playback{Ops: ops(write(b("00 01")), write(b("00 02")))}
	if _, err := p.Write(b("00 01")); err != nil {
		t.Fatal(err)
	}
	wantErr(t, p.Done(), devicestest.ErrMismatch)
	wantErr(t, p.Close(), devicestest.ErrMismatch)
}

func TestPlaybackKindMismatch(t *testing.T) {
	p := &devicestest.Playback{Ops: ops(write(b("01 63")))}
	_, err := p.SendFeatureReport(b("01 63"))
	wantErr(t, err, devicestest.ErrMismatch)
	if _, err := p.Write(b("01 63")); err == nil {
		t.Error("Playback kept going after a mismatch")
	}
}

func TestSetInvalidEffect(t *testing.T) {
	d, err := devices.Open(omega, &devicestest.Playback{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Set(devices.State{Effect: 42}); err == nil {
		t.Error("Set(effect 42) succeeded")
	}
}

func TestKeepAliveNoOpWithoutKeepAlive(t *testing.T) {
	p := &devicestest.Playback{}
	d, err := devices.Open(luxaforFlag, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.KeepAlivePeriod() != 0 {
		t.Errorf("Luxafor KeepAlivePeriod = %v", d.KeepAlivePeriod())
	}
	if err := d.KeepAlive(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRecordGoString(t *testing.T) {
	rec := &devicestest.Record{}
	d, err := devices.Open(blink1Info, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Set(solid(red)); err != nil {
		t.Fatal(err)
	}
	want := "[]devicestest.Op{\n\t{Kind: devicestest.Feature, Data: []byte{0x01, 0x63, 0xFF, 0x00, 0x00, 0x00, 0x0A, 0x00, 0x00}},\n}"
	if got := rec.GoString(); got != want {
		t.Errorf("GoString:\n%s\nwant:\n%s", got, want)
	}
}

func TestConcurrentUse(t *testing.T) {
	// Run with -race: Set, KeepAlive and ReadInput from several goroutines.
	rec := &devicestest.Record{Reads: [][]byte{b("00 00 00 04 00 00 00 00")}}
	d, err := devices.Open(mutemeInfo, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 3)
	go func() { done <- d.Set(solid(red)) }()
	go func() { done <- d.KeepAlive() }()
	go func() { _, err := d.ReadInput(0); done <- err }()
	for range 3 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	if n := len(rec.Ops()); n != 2 { // one write, one read
		t.Errorf("recorded %d ops, want 2", n)
	}
}

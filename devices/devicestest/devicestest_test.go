package devicestest_test

import (
	"errors"
	"testing"

	"github.com/onair-dev/onair/devices/devicestest"
)

func TestRecordPassesThrough(t *testing.T) {
	inner := &devicestest.Playback{Ops: []devicestest.Op{
		{Kind: devicestest.Write, Data: []byte{0x00, 0x01}},
		{Kind: devicestest.Feature, Data: []byte{0x01, 0x63}},
		{Kind: devicestest.Read, Data: []byte{0x83, 0x00}},
	}}
	rec := &devicestest.Record{Transport: inner}
	if _, err := rec.Write([]byte{0x00, 0x01}); err != nil {
		t.Fatal(err)
	}
	if _, err := rec.SendFeatureReport([]byte{0x01, 0x63}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	if n, err := rec.ReadTimeout(buf, 0); err != nil || n != 2 {
		t.Fatalf("ReadTimeout = %d, %v", n, err)
	}
	if err := rec.Close(); err != nil {
		t.Fatalf("Close (inner playback done): %v", err)
	}
	ops := rec.Ops()
	if len(ops) != 3 || ops[2].String() != "Read 83 00" {
		t.Errorf("recorded %v", ops)
	}
	// The recording is a copy: changing the caller's buffer later does not
	// change it.
	buf[0] = 0xAA
	if rec.Ops()[2].Data[0] != 0x83 {
		t.Error("Record aliases the read buffer")
	}
}

func TestPlaybackUnexpectedRead(t *testing.T) {
	p := &devicestest.Playback{Ops: []devicestest.Op{{Kind: devicestest.Write, Data: []byte{0}}}}
	if _, err := p.ReadTimeout(make([]byte, 1), 0); !errors.Is(err, devicestest.ErrMismatch) {
		t.Errorf("ReadTimeout = %v, want ErrMismatch", err)
	}
	empty := &devicestest.Playback{}
	if _, err := empty.Write([]byte{0}); !errors.Is(err, devicestest.ErrMismatch) {
		t.Errorf("Write to empty playback = %v", err)
	}
	if err := (&devicestest.Playback{}).Close(); err != nil {
		t.Errorf("Close of a finished playback = %v", err)
	}
}

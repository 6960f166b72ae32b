package devices_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/onair-dev/onair/devices"
	"github.com/onair-dev/onair/devices/devicestest"
)

var busyTagRed = []byte("AT+SC=127,FF0000\r\n")

// TestSerialReplies scripts what a Busy Tag sends back after a command.
func TestSerialReplies(t *testing.T) {
	for _, tt := range []struct {
		name    string
		replies []devicestest.Op // after the write
		wantErr bool
		got     string // ReplyError.Got
	}{
		{name: "ok", replies: ops(read([]byte("OK\r\n")), read(nil))},
		{name: "ok in pieces", replies: ops(read([]byte("O")), read([]byte("K\r")), read([]byte("\n")), read(nil))},
		{name: "echo then ok", replies: ops(read([]byte("AT+SC=127,FF0000\r\nOK\r\n")), read(nil))},
		{name: "extra lines drained", replies: ops(read([]byte("OK\r\n")), read([]byte("+evn:1\r\n")), read([]byte("+evn:2\r\n")), read(nil))},
		{name: "lf only", replies: ops(read([]byte("OK\n")), read(nil))},
		{name: "no reply", replies: ops(read(nil)), wantErr: true},
		{name: "error", replies: ops(read([]byte("ERROR\r\n"))), wantErr: true, got: "ERROR"},
		{name: "ok without line end", replies: ops(read([]byte("OK")), read(nil)), wantErr: true, got: "OK"},
		{name: "something else", replies: ops(read([]byte("+evn:1\r\n")), read(nil)), wantErr: true, got: "+evn:1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := &devicestest.Playback{Ops: append(ops(write(busyTagRed)), tt.replies...)}
			d, err := devices.Open(busyTag, p, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = d.Set(solid(red))
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Set = %v", err)
				}
			} else {
				var re *devices.ReplyError
				if !errors.Is(err, devices.ErrNoReply) || !errors.As(err, &re) {
					t.Fatalf("Set = %v, want a ReplyError", err)
				}
				if string(re.Want) != "OK" || !bytes.Equal(re.Sent, busyTagRed) || string(re.Got) != tt.got {
					t.Errorf("ReplyError = %+v", re)
				}
				if !strings.Contains(err.Error(), "busytag") || !strings.Contains(err.Error(), `"AT+SC=127,FF0000"`) {
					t.Errorf("error does not name the light and command: %v", err)
				}
			}
			if err := d.Close(); err != nil {
				t.Errorf("Close = %v (ops left or unexpected)", err)
			}
		})
	}
}

// A light that never stops talking cannot hold a write for ever: the reads
// are bounded.
func TestSerialReplyChatterIsBounded(t *testing.T) {
	rec := &chatter{}
	d, err := devices.Open(busyTag, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = d.Set(solid(red))
	if !errors.Is(err, devices.ErrNoReply) {
		t.Fatalf("Set = %v, want ErrNoReply", err)
	}
	if rec.reads == 0 || rec.reads > 64 {
		t.Errorf("%d reads, want a small bound", rec.reads)
	}
	for _, to := range rec.timeouts {
		if to > devices.ReplyTimeout {
			t.Errorf("read waited %v, over ReplyTimeout", to)
		}
	}
}

type chatter struct {
	devicestest.Record
	reads    int
	timeouts []time.Duration
}

func (c *chatter) ReadTimeout(p []byte, timeout time.Duration) (int, error) {
	c.reads++
	c.timeouts = append(c.timeouts, timeout)
	return copy(p, "+evn:1\r\n"), nil
}

func TestSerialReplyReadError(t *testing.T) {
	p := &devicestest.Playback{Ops: ops(write(busyTagRed))} // the read is unexpected
	d, err := devices.Open(busyTag, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Set(solid(red)); !errors.Is(err, devicestest.ErrMismatch) || errors.Is(err, devices.ErrNoReply) {
		t.Errorf("Set = %v, want the transport's read error", err)
	}
}

// Record.Reply with Driver.Ack answers like the light, for tests that do not
// care about the reply bytes (the daemon's).
func TestRecordAckReply(t *testing.T) {
	for _, info := range []devices.Info{busyTag, fitStat} {
		drv, err := devices.Lookup(info)
		if err != nil {
			t.Fatal(err)
		}
		rec := &devicestest.Record{Reply: devicestest.AckReply(drv.Ack())}
		d, err := devices.Open(info, rec, nil)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if err := d.Set(solid(red)); err != nil {
				t.Fatalf("%s: Set = %v", drv.Name, err)
			}
		}
		if len(rec.Reads) != 0 {
			t.Errorf("%s: %d replies left unread", drv.Name, len(rec.Reads))
		}
	}
	if devices.FitStatUSB.Ack() != nil || string(devices.BusyTag.Ack()) != "OK" || devices.Kuando.Ack() != nil {
		t.Error("Ack: fit-statUSB confirms nothing, Busy Tag OK, HID lights nothing")
	}
	// A Busy Tag behind a transport that answers nothing fails.
	d, _ := devices.Open(busyTag, &devicestest.Record{}, nil)
	if err := d.Set(solid(red)); !errors.Is(err, devices.ErrNoReply) {
		t.Errorf("silent Busy Tag: Set = %v", err)
	}
}

// HID lights are never read after a write.
func TestHIDWritesReadNoReply(t *testing.T) {
	rec := &devicestest.Record{Reads: [][]byte{[]byte("OK\r\n")}}
	d, err := devices.Open(luxaforFlag, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Set(solid(red)); err != nil {
		t.Fatal(err)
	}
	if len(rec.Reads) != 1 {
		t.Error("a HID write read input")
	}
}

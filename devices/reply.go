package devices

import (
	"bytes"
	"errors"
	"fmt"
	"time"
)

// Serial lights answer what they are sent: the Busy Tag ends every AT
// command's reply with "OK" (devices/PROTOCOLS.md#busy-tag). A reply nobody
// reads piles up in the device's and the OS's buffers over a working week,
// and a light that stopped answering looks fine until someone looks at it.
// So after each command [Device] reads the reply, drains anything else the
// light sent, and fails with a [*ReplyError] when the acknowledgement is
// missing.

// ReplyTimeout is how long [Device] waits for a serial light's
// acknowledgement after a command. A USB CDC light answers within a few
// milliseconds; the wait is this long only when the answer is missing.
const ReplyTimeout = 200 * time.Millisecond

// maxReplyReads bounds the reads for one reply, so a light that chatters
// without end cannot hold a write forever: each read waits at most
// ReplyTimeout.
const maxReplyReads = 16

// ErrNoReply is wrapped by the error a write returns when a serial light did
// not acknowledge a command; errors.As finds the [*ReplyError].
var ErrNoReply = errors.New("light did not acknowledge the command")

// ReplyError is a command a serial light did not acknowledge.
type ReplyError struct {
	// Sent is the command.
	Sent []byte
	// Want is the acknowledgement line expected ("OK").
	Want []byte
	// Got is what the light sent back instead, nil when nothing arrived
	// within ReplyTimeout.
	Got []byte
}

func (e *ReplyError) Error() string {
	sent := bytes.TrimRight(e.Sent, "\r\n")
	if len(e.Got) == 0 {
		return fmt.Sprintf("%v: no reply to %q within %v (want %q); is the light still attached and not held by another program?", ErrNoReply, sent, ReplyTimeout, e.Want)
	}
	return fmt.Sprintf("%v: reply to %q is %q, want %q", ErrNoReply, sent, e.Got, e.Want)
}

// Unwrap returns ErrNoReply.
func (e *ReplyError) Unwrap() error { return ErrNoReply }

// acker is implemented by serial protocols whose light confirms every
// command with a line.
type acker interface {
	// ack returns the line, without its line ending, that confirms a
	// command.
	ack() []byte
}

// Ack returns the line (without line ending) a serial light of this driver
// sends back after each command, or nil when it confirms nothing (and
// [Device] only drains what it sends). Test transports use it to answer like
// the light.
func (d *Driver) Ack() []byte {
	if a, ok := d.proto.(acker); ok {
		return bytes.Clone(a.ack())
	}
	return nil
}

// readReply reads the reply to the command sent, then drains the rest of
// what the light sent. With want nil it only drains. Only serial lights get
// here.
func readReply(t Transport, sent, want []byte) error {
	var got []byte
	buf := make([]byte, 256)
	acked := want == nil
	for i := 0; i < maxReplyReads; i++ {
		timeout := ReplyTimeout
		if acked {
			// Draining: take what has already arrived, wait no longer.
			timeout = 0
		}
		n, err := t.ReadTimeout(buf, timeout)
		if err != nil {
			return fmt.Errorf("read reply: %w", err)
		}
		if n <= 0 {
			break
		}
		if acked {
			continue
		}
		got = append(got, buf[:n]...)
		switch findAck(got, want) {
		case ackFound:
			acked = true
		case ackError:
			return &ReplyError{Sent: bytes.Clone(sent), Want: bytes.Clone(want), Got: bytes.TrimSpace(got)}
		}
	}
	if !acked {
		return &ReplyError{Sent: bytes.Clone(sent), Want: bytes.Clone(want), Got: bytes.TrimSpace(got)}
	}
	return nil
}

type ackResult uint8

const (
	ackPending ackResult = iota
	ackFound
	ackError
)

// findAck looks through the complete lines of b: want confirms the command,
// "ERROR" (the AT-command convention) refuses it, any other line (an echo,
// an event the light reports by itself) is skipped.
func findAck(b, want []byte) ackResult {
	for {
		line, rest, ok := bytes.Cut(b, []byte("\n"))
		if !ok {
			return ackPending
		}
		line = bytes.TrimSpace(line)
		switch {
		case bytes.Equal(line, want):
			return ackFound
		case bytes.Equal(line, []byte("ERROR")):
			return ackError
		}
		b = rest
	}
}

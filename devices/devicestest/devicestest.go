// Package devicestest provides transports for byte-exact tests of
// devices: Playback replays an expected sequence of operations and fails on
// any difference, Record records what was sent (optionally passing it on to
// a real transport) and prints it as Go literals ready to paste into a
// vector table.
//
// It is not a device emulator: it knows nothing about any protocol.
package devicestest

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/onair-dev/onair/devices"
)

// Kind is the transport operation of an Op.
type Kind uint8

// Operation kinds.
const (
	// Write is Transport.Write (an output report, or serial bytes).
	Write Kind = iota + 1
	// Feature is Transport.SendFeatureReport.
	Feature
	// Read is Transport.ReadTimeout; Data is what the device returns
	// (empty: the read timed out).
	Read
)

var kindNames = [...]string{Write: "Write", Feature: "Feature", Read: "Read"}

// String returns "Write", "Feature" or "Read".
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Op is one transport operation.
type Op struct {
	Kind Kind
	Data []byte
}

// String returns the op as "Write 00 01 FF".
func (o Op) String() string {
	return fmt.Sprintf("%s % X", o.Kind, o.Data)
}

// GoString returns the op as a Go literal using this package's names.
func (o Op) GoString() string {
	var b strings.Builder
	fmt.Fprintf(&b, "{Kind: devicestest.%s, Data: []byte{", o.Kind)
	for i, v := range o.Data {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "0x%02X", v)
	}
	b.WriteString("}}")
	return b.String()
}

// ErrMismatch is wrapped by every error Playback returns for an operation
// that differs from the expected one, and by Close when operations remain.
var ErrMismatch = errors.New("devicestest: unexpected operation")

// Playback is a Transport that expects exactly Ops, in order. A write that
// differs from the next expected op, or comes when none is left, returns an
// error wrapping ErrMismatch (and every later call fails too, so a test
// cannot miss it). Close and Done fail when ops remain. Safe for concurrent
// use.
type Playback struct {
	Ops []Op

	mu     sync.Mutex
	count  int
	err    error
	closed bool
}

var _ devices.Transport = (*Playback)(nil)

func (p *Playback) next(kind Kind, data []byte) (Op, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return Op{}, p.err
	}
	if p.closed {
		p.err = fmt.Errorf("%w: %s after Close", ErrMismatch, Op{kind, data})
		return Op{}, p.err
	}
	if p.count >= len(p.Ops) {
		p.err = fmt.Errorf("%w: op %d %s, want no more ops", ErrMismatch, p.count, Op{kind, data})
		return Op{}, p.err
	}
	want := p.Ops[p.count]
	if want.Kind != kind || (kind != Read && !bytes.Equal(want.Data, data)) {
		if kind == Read {
			p.err = fmt.Errorf("%w: op %d is a Read, want %s", ErrMismatch, p.count, want)
		} else {
			p.err = fmt.Errorf("%w: op %d\n got: %s\nwant: %s", ErrMismatch, p.count, Op{kind, data}, want)
		}
		return Op{}, p.err
	}
	p.count++
	return want, nil
}

// Write implements devices.Transport.
func (p *Playback) Write(b []byte) (int, error) {
	if _, err := p.next(Write, b); err != nil {
		return 0, err
	}
	return len(b), nil
}

// SendFeatureReport implements devices.Transport.
func (p *Playback) SendFeatureReport(b []byte) (int, error) {
	if _, err := p.next(Feature, b); err != nil {
		return 0, err
	}
	return len(b), nil
}

// ReadTimeout implements devices.Transport: it returns the data of the next
// op, which must be a Read.
func (p *Playback) ReadTimeout(b []byte, _ time.Duration) (int, error) {
	op, err := p.next(Read, nil)
	if err != nil {
		return 0, err
	}
	return copy(b, op.Data), nil
}

// Done returns the first mismatch, or an error when expected ops remain.
func (p *Playback) Done() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	if p.count < len(p.Ops) {
		var b strings.Builder
		for _, op := range p.Ops[p.count:] {
			fmt.Fprintf(&b, "\n  %s", op)
		}
		return fmt.Errorf("%w: %d of %d ops not done:%s", ErrMismatch, len(p.Ops)-p.count, len(p.Ops), b.String())
	}
	return nil
}

// Close implements devices.Transport; it returns Done's error.
func (p *Playback) Close() error {
	err := p.Done()
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	return err
}

// Record is a Transport that records every operation. With Transport set it
// passes each operation on and records the real result; without, writes
// succeed and reads return the queued Reads, then time out. Safe for
// concurrent use.
type Record struct {
	// Transport, if set, receives every operation.
	Transport devices.Transport
	// Reads are returned by ReadTimeout in order when Transport is nil.
	Reads [][]byte
	// Reply, when set and Transport is nil, scripts a device that answers
	// what it is sent (a serial light): after each Write, the bytes
	// Reply returns for it (nil: none) are queued on Reads.
	Reply func(written []byte) []byte

	mu  sync.Mutex
	ops []Op
}

var _ devices.Transport = (*Record)(nil)

func (r *Record) add(kind Kind, data []byte) {
	r.mu.Lock()
	r.ops = append(r.ops, Op{Kind: kind, Data: bytes.Clone(data)})
	r.mu.Unlock()
}

// Write implements devices.Transport.
func (r *Record) Write(b []byte) (int, error) {
	r.add(Write, b)
	if r.Transport != nil {
		return r.Transport.Write(b)
	}
	if r.Reply != nil {
		if reply := r.Reply(bytes.Clone(b)); reply != nil {
			r.mu.Lock()
			r.Reads = append(r.Reads, reply)
			r.mu.Unlock()
		}
	}
	return len(b), nil
}

// AckReply returns a Reply function that answers every write with the
// line ack and CR LF, as a serial light that acknowledges commands does
// (pass [devices.Driver.Ack]); nil ack answers nothing.
func AckReply(ack []byte) func([]byte) []byte {
	return func([]byte) []byte {
		if ack == nil {
			return nil
		}
		return append(bytes.Clone(ack), '\r', '\n')
	}
}

// SendFeatureReport implements devices.Transport.
func (r *Record) SendFeatureReport(b []byte) (int, error) {
	r.add(Feature, b)
	if r.Transport != nil {
		return r.Transport.SendFeatureReport(b)
	}
	return len(b), nil
}

// ReadTimeout implements devices.Transport.
func (r *Record) ReadTimeout(b []byte, timeout time.Duration) (int, error) {
	var n int
	var err error
	if r.Transport != nil {
		n, err = r.Transport.ReadTimeout(b, timeout)
	} else {
		r.mu.Lock()
		if len(r.Reads) > 0 {
			n = copy(b, r.Reads[0])
			r.Reads = r.Reads[1:]
		}
		r.mu.Unlock()
	}
	if n > 0 {
		r.add(Read, b[:n])
	}
	return n, err
}

// Close implements devices.Transport.
func (r *Record) Close() error {
	if r.Transport != nil {
		return r.Transport.Close()
	}
	return nil
}

// Ops returns a copy of the recorded operations.
func (r *Record) Ops() []Op {
	r.mu.Lock()
	defer r.mu.Unlock()
	ops := make([]Op, len(r.ops))
	for i, op := range r.ops {
		ops[i] = Op{Kind: op.Kind, Data: bytes.Clone(op.Data)}
	}
	return ops
}

// GoString returns the recorded operations as a Go []devicestest.Op literal,
// one op per line, ready to paste into a vector table.
func (r *Record) GoString() string {
	var b strings.Builder
	b.WriteString("[]devicestest.Op{\n")
	for _, op := range r.Ops() {
		fmt.Fprintf(&b, "\t%#v,\n", op)
	}
	b.WriteString("}")
	return b.String()
}

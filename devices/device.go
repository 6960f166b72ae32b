package devices

import (
	"errors"
	"fmt"
	"image/color"
	"runtime"
	"sync"
	"time"
)

// Options configures [Open].
type Options struct {
	// GOOS is the operating system the transport runs on, a runtime.GOOS
	// value; it decides which lights are supported (EPOS cannot be driven
	// on Windows). Empty means runtime.GOOS.
	GOOS string
}

// DefaultOptions returns the options Open uses when given nil: the current
// OS.
func DefaultOptions() Options {
	return Options{GOOS: runtime.GOOS}
}

// Device is one opened light. Its methods are safe for concurrent use; writes
// are serialised so a keep-alive never lands inside a multi-report sequence.
// ReadInput may run concurrently with writes.
type Device struct {
	info   Info
	driver *Driver
	t      Transport

	mu     sync.Mutex // guards writes and closed
	closed bool
}

// Open returns the Device for an enumerated light reached through t. It does
// no I/O: the light is untouched until the first Set. It fails with
// [ErrUnknownDevice] for a device not in the table and with [ErrUnsupported]
// for one that cannot be driven on opts.GOOS. The Device owns t from then
// on and closes it in Close, also when Open fails.
func Open(info Info, t Transport, opts *Options) (*Device, error) {
	o := DefaultOptions()
	if opts != nil && opts.GOOS != "" {
		o.GOOS = opts.GOOS
	}
	d, err := Lookup(info)
	if err == nil {
		err = d.Supported(info, o.GOOS)
	}
	if err != nil {
		if t != nil {
			t.Close()
		}
		return nil, fmt.Errorf("open %s: %w", info, err)
	}
	if t == nil {
		return nil, errors.New("open: nil transport")
	}
	return &Device{info: info, driver: d, t: t}, nil
}

// Info returns the enumerated device this Device was opened from.
func (d *Device) Info() Info { return d.info }

// Driver returns the light's driver.
func (d *Device) Driver() *Driver { return d.driver }

// String returns vendor and model, e.g. "Kuando Busylight Omega".
func (d *Device) String() string {
	return d.driver.Vendor + " " + d.driver.Model(d.info)
}

// HardwareEffect reports whether the light shows e by itself after Set; see
// [Driver.HardwareEffect].
func (d *Device) HardwareEffect(e Effect) bool { return d.driver.HardwareEffect(e) }

// KeepAlivePeriod returns how often KeepAlive must be called, or 0 when the
// light needs no keep-alive (Kuando: 10 s).
func (d *Device) KeepAlivePeriod() time.Duration { return d.driver.KeepAlivePeriod() }

// HasInput reports whether ReadInput can read a button on this light.
func (d *Device) HasInput() bool { return d.driver.HasInput(d.info) }

// Set makes the light show s. For a serial light every write reads the
// light's reply (see [ReplyError]): a light that does not acknowledge a
// command fails the Set with an error wrapping [ErrNoReply]. When the light cannot show s.Effect by itself
// (HardwareEffect is false), Set shows the first frame, s.At(0), and the
// caller renders the rest with Frame every FrameInterval.
func (d *Device) Set(s State) error {
	p := d.driver.proto
	if s.Effect > Off {
		return fmt.Errorf("%s: set: invalid effect %d", d.driver.Name, s.Effect)
	}
	if !d.HardwareEffect(s.Effect) {
		return d.Frame(s.At(0))
	}
	reports, err := p.encode(s, d.info)
	if err != nil {
		return fmt.Errorf("%s: set %s: %w", d.driver.Name, s.Effect, err)
	}
	return d.write("set", reports)
}

// Frame shows one software-rendered frame of colour c. The daemon calls it
// every FrameInterval while it renders an effect the light cannot do.
func (d *Device) Frame(c color.NRGBA) error {
	var reports []Report
	var err error
	if f, ok := d.driver.proto.(framer); ok {
		reports, err = f.frame(c, d.info)
	} else {
		reports, err = d.driver.proto.encode(State{Color: c}, d.info)
	}
	if err != nil {
		return fmt.Errorf("%s: frame: %w", d.driver.Name, err)
	}
	return d.write("frame", reports)
}

// KeepAlive tells a light that needs it to keep showing its state; it does
// nothing for other lights. Call it every KeepAlivePeriod.
func (d *Device) KeepAlive() error {
	k, ok := d.driver.proto.(keepAliver)
	if !ok {
		return nil
	}
	r, _ := k.keepAlive()
	return d.write("keep-alive", []Report{r})
}

// ReadInput waits at most timeout for one input report and decodes it. It
// returns Input{Button: ButtonNone} when nothing arrived, and an error
// wrapping [ErrNoInput] for a light without a button. Keep timeout short
// (≈ 250 ms): Close waits for a read in progress.
func (d *Device) ReadInput(timeout time.Duration) (Input, error) {
	in, ok := d.driver.proto.(inputDecoder)
	size := 0
	if ok {
		size = in.inputSize(d.info)
	}
	if size == 0 {
		return Input{}, fmt.Errorf("%s: read input: %w", d.driver.Name, ErrNoInput)
	}
	buf := make([]byte, size)
	n, err := d.t.ReadTimeout(buf, timeout)
	if err != nil {
		return Input{}, fmt.Errorf("%s: read input: %w", d.driver.Name, err)
	}
	if n <= 0 {
		return Input{}, nil
	}
	return in.decodeInput(buf[:min(n, len(buf))]), nil
}

// Probe reports whether a HID light is still attached, without writing to
// it or waiting: it reads and discards input the HID library has already
// queued, and that read fails once the device is gone. It lets the daemon
// notice a light pulled out and plugged in again between two enumerations,
// which would otherwise go unseen until the next write. Serial lights, and
// lights with a button (ReadInput reads those, and a probe would eat the
// presses), always return nil.
func (d *Device) Probe() error {
	if d.info.Bus != HID || d.HasInput() {
		return nil
	}
	var buf [64]byte
	if _, err := d.t.ReadTimeout(buf[:], 0); err != nil {
		return fmt.Errorf("%s: probe: %w", d.driver.Name, err)
	}
	return nil
}

// Close releases the light without changing what it shows (callers that want
// it dark Set Off first). Closing twice is a no-op.
func (d *Device) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	if err := d.t.Close(); err != nil {
		return fmt.Errorf("%s: close: %w", d.driver.Name, err)
	}
	return nil
}

// errClosed is returned by writes after Close.
var errClosed = errors.New("device closed")

func (d *Device) write(op string, reports []Report) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return fmt.Errorf("%s: %s: %w", d.driver.Name, op, errClosed)
	}
	for i, r := range reports {
		var err error
		switch r.Kind {
		case Output:
			_, err = d.t.Write(r.Data)
		case Feature:
			_, err = d.t.SendFeatureReport(r.Data)
		default:
			err = fmt.Errorf("invalid report kind %d", r.Kind)
		}
		if err != nil {
			return fmt.Errorf("%s: %s: write %s report %d of %d: %w", d.driver.Name, op, r.Kind, i+1, len(reports), err)
		}
		if d.info.Bus == Serial {
			if err := readReply(d.t, r.Data, d.driver.Ack()); err != nil {
				return fmt.Errorf("%s: %s: report %d of %d: %w", d.driver.Name, op, i+1, len(reports), err)
			}
		}
	}
	return nil
}

package devices

import (
	"fmt"
	"image/color"
	"time"
)

// Driver is one protocol family of busy lights. Each vendor file declares its
// Driver vars; registry.go maps USB IDs to them.
type Driver struct {
	// Name is a stable lower-case identifier ("kuando"), used in config,
	// logs and `--json` output.
	Name string
	// Vendor is the human name of the maker ("Kuando").
	Vendor string
	// App names the vendor software that may hold the light open (macOS
	// opens HID devices exclusively), for the error a user sees when the
	// open is refused.
	App string
	// Bus says which transport reaches the light.
	Bus Bus
	// Serial holds the port settings of a serial light; nil for HID.
	Serial *SerialConfig

	proto protocol
}

// SerialConfig is how a serial light's port must be opened.
type SerialConfig struct {
	// BaudRate in bit/s. USB CDC devices ignore it, but some need a value
	// their firmware expects.
	BaudRate int
	// DTR and RTS are the modem lines set at open. ESP32-based lights reset
	// on some DTR/RTS transitions.
	DTR, RTS bool
}

// protocol turns states into reports. It is implemented by one unexported
// type per vendor file and must be pure: no I/O, clocks, goroutines or logs.
type protocol interface {
	// encode returns the reports, in order, that make the light show s. It
	// is only called with effects the protocol does in hardware (see
	// hardwareEffecter), Solid and Off.
	encode(s State, info Info) ([]Report, error)
}

// framer is implemented by protocols that have a faster way to show one
// software-rendered frame than encode with a Solid state (blink(1) sets the
// colour without a fade).
type framer interface {
	frame(c color.NRGBA, info Info) ([]Report, error)
}

// hardwareEffecter is implemented by protocols that can blink or pulse by
// themselves.
type hardwareEffecter interface {
	hardware(e Effect) bool
}

// keepAliver is implemented by lights that go dark unless written to
// periodically.
type keepAliver interface {
	keepAlive() (Report, time.Duration)
}

// inputDecoder is implemented by lights with a button.
type inputDecoder interface {
	// inputSize returns the input report length for this model, or 0 when
	// the model has no input.
	inputSize(info Info) int
	// decodeInput must not panic on any input.
	decodeInput(b []byte) Input
}

// osLimiter is implemented by protocols that cannot be driven on some OS.
type osLimiter interface {
	// unsupported returns why the light cannot be driven on goos, or "".
	unsupported(goos string) string
}

// HardwareEffect reports whether lights of this driver show e by themselves
// after one Set. Solid and Off are always true; for false the daemon renders
// the effect with [State.At] and [Device.Frame].
func (d *Driver) HardwareEffect(e Effect) bool {
	if e == Solid || e == Off {
		return true
	}
	h, ok := d.proto.(hardwareEffecter)
	return ok && h.hardware(e)
}

// KeepAlivePeriod returns how often [Device.KeepAlive] must be called to keep
// the light on, or 0 when the light needs no keep-alive.
func (d *Driver) KeepAlivePeriod() time.Duration {
	if k, ok := d.proto.(keepAliver); ok {
		_, p := k.keepAlive()
		return p
	}
	return 0
}

// HasInput reports whether the light described by info has a button that
// [Device.ReadInput] can read.
func (d *Driver) HasInput(info Info) bool {
	in, ok := d.proto.(inputDecoder)
	return ok && in.inputSize(info) > 0
}

// Supported returns nil when the light described by info can be driven on
// goos (a runtime.GOOS value), or an error wrapping [ErrUnsupported] that
// says why not.
func (d *Driver) Supported(info Info, goos string) error {
	if e, _ := lookup(info); e != nil && e.Driver == d && e.Unsupported != "" {
		return fmt.Errorf("%s %s: %w: %s", d.Vendor, e.Model, ErrUnsupported, e.Unsupported)
	}
	if l, ok := d.proto.(osLimiter); ok {
		if why := l.unsupported(goos); why != "" {
			return fmt.Errorf("%s on %s: %w: %s", d.Vendor, goos, ErrUnsupported, why)
		}
	}
	return nil
}

// Model returns the model name of the light described by info ("Busylight
// Omega"), or "" when info is not one of this driver's IDs.
func (d *Driver) Model(info Info) string {
	if e, _ := lookup(info); e != nil && e.Driver == d {
		return e.Model
	}
	return ""
}

// IDs returns this driver's rows of the registry table, in table order.
func (d *Driver) IDs() []Entry {
	var ids []Entry
	for _, e := range registry {
		if e.Driver == d {
			ids = append(ids, e)
		}
	}
	return ids
}

// Models returns the distinct model names of this driver, in table order.
func (d *Driver) Models() []string {
	var models []string
	seen := map[string]bool{}
	for _, e := range d.IDs() {
		if !seen[e.Model] {
			seen[e.Model] = true
			models = append(models, e.Model)
		}
	}
	return models
}

// Button is the state of a light's button or touch surface.
type Button uint8

// Button states. ButtonNone means no event arrived.
const (
	ButtonNone Button = iota
	// ButtonDown: pressed or touch started.
	ButtonDown
	// ButtonHeld: still pressed (MuteMe repeats it while touched).
	ButtonHeld
	// ButtonUp: released or touch ended.
	ButtonUp
)

var buttonNames = [...]string{"none", "down", "held", "up"}

// String returns "none", "down", "held" or "up".
func (b Button) String() string {
	if int(b) < len(buttonNames) {
		return buttonNames[b]
	}
	return fmt.Sprintf("Button(%d)", uint8(b))
}

// Input is one decoded input report.
type Input struct {
	Button Button
}

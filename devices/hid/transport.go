package hid

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	karalabe "github.com/karalabe/hid"

	"github.com/onair-dev/onair/devices"
)

// Transport is one opened HID light. It implements devices.Transport and is
// safe for concurrent use; Close waits for a read in progress to time out.
type Transport struct {
	goos string

	mu  sync.RWMutex // write-locked only by Close
	dev karalabe.Device
}

var _ devices.Transport = (*Transport)(nil)

// Supported reports whether this binary can reach USB HID devices.
func Supported() bool { return cgoEnabled && karalabe.Supported() }

// Enumerate lists HID devices: known lights only, or every HID device with
// all set (for `onair lights --all`). Unknown devices are dropped
// before any of them is opened.
func Enumerate(all bool) ([]devices.Info, error) {
	if !Supported() {
		return nil, ErrNoUSB
	}
	raw, err := karalabe.Enumerate(0, 0)
	if err != nil {
		return nil, fmt.Errorf("enumerate hid: %w", err)
	}
	return filter(raw, all), nil
}

// filter converts karalabe's list, drops duplicate paths (macOS lists one
// entry per top-level collection) and, unless all, unknown devices.
func filter(raw []karalabe.DeviceInfo, all bool) []devices.Info {
	var infos []devices.Info
	seen := map[string]bool{}
	for _, r := range raw {
		if seen[r.Path] {
			continue
		}
		seen[r.Path] = true
		info := devices.Info{
			VID: r.VendorID, PID: r.ProductID, Product: r.Product,
			Manufacturer: r.Manufacturer, Serial: r.Serial,
			Interface: r.Interface, Path: r.Path, Bus: devices.HID,
			Release: r.Release,
		}
		if _, err := devices.Lookup(info); err != nil && !all {
			continue
		}
		infos = append(infos, info)
	}
	return infos
}

// Open opens the HID device described by info (from Enumerate). When the OS
// refuses, the error is an *OpenError that says what to do.
func Open(info devices.Info) (*Transport, error) {
	if !Supported() {
		return nil, ErrNoUSB
	}
	dev, err := karalabe.DeviceInfo{
		Path: info.Path, VendorID: info.VID, ProductID: info.PID,
		Interface: info.Interface,
	}.Open()
	if err != nil {
		return nil, openError(info, runtime.GOOS, err)
	}
	return &Transport{goos: runtime.GOOS, dev: dev}, nil
}

// openError classifies a refused open. hidapi only says "failed to open
// device", so on Linux the usbfs node is checked for a permission problem.
func openError(info devices.Info, goos string, err error) error {
	d, _ := devices.Lookup(info)
	e := &OpenError{Info: info, Driver: d, GOOS: goos, Err: err}
	switch goos {
	case "linux":
		node, nerr := usbfsNode(os.DirFS("/sys/bus/usb/devices"), info.Path)
		if nerr != nil {
			break
		}
		e.Node = node
		f, ferr := os.OpenFile(node, os.O_RDWR, 0)
		if ferr == nil {
			f.Close()
			break
		}
		if errors.Is(ferr, fs.ErrPermission) {
			e.Err = ErrPermission
		}
	case "darwin":
		e.Err = fmt.Errorf("%w (%v)", ErrInUse, err)
	}
	return e
}

// Write implements devices.Transport: p is report ID then data (see the
// package doc). It returns len(p) on success.
func (t *Transport) Write(p []byte) (int, error) {
	b, err := frame(t.goos, devices.Output, p)
	if err != nil {
		return 0, fmt.Errorf("hid write: %w", err)
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.dev == nil {
		return 0, errClosed
	}
	if _, err := t.dev.Write(b); err != nil {
		return 0, fmt.Errorf("hid write: %w", explain(err))
	}
	return len(p), nil
}

// SendFeatureReport implements devices.Transport. It returns len(p) on
// success.
func (t *Transport) SendFeatureReport(p []byte) (int, error) {
	b, err := frame(t.goos, devices.Feature, p)
	if err != nil {
		return 0, fmt.Errorf("hid feature report: %w", err)
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.dev == nil {
		return 0, errClosed
	}
	if _, err := t.dev.SendFeatureReport(b); err != nil {
		return 0, fmt.Errorf("hid feature report: %w", explain(err))
	}
	return len(p), nil
}

// explain replaces the message hidapi's libusb backend gives for every
// failed transfer, "hid_error is not implemented yet", with what it means in
// practice: the device stalled the report or went away (seen on the USB/IP
// bench for a STALL and for an unplug mid-write).
func explain(err error) error {
	if strings.Contains(err.Error(), "hid_error is not implemented") {
		return fmt.Errorf("the light rejected the report or was unplugged (%w)", err)
	}
	return err
}

// ReadTimeout implements devices.Transport. A timeout ≤ 0 does not wait.
func (t *Transport) ReadTimeout(p []byte, timeout time.Duration) (int, error) {
	ms := 0
	if timeout > 0 {
		ms = int(max((timeout+time.Millisecond-1)/time.Millisecond, 1))
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.dev == nil {
		return 0, errClosed
	}
	n, err := t.dev.ReadTimeout(p, ms)
	if err != nil {
		return 0, fmt.Errorf("hid read: %w", err)
	}
	return n, nil
}

// Close implements devices.Transport. Closing twice is a no-op.
func (t *Transport) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.dev == nil {
		return nil
	}
	err := t.dev.Close()
	t.dev = nil
	if err != nil {
		return fmt.Errorf("hid close: %w", err)
	}
	return nil
}

var errClosed = errors.New("hid: light closed")

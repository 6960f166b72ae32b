// Package serial reaches USB CDC serial busy lights (CompuLab fit-statUSB,
// Busy Tag) through go.bug.st/serial, behind the same devices.Transport as
// the HID lights. It enumerates serial ports with their USB VID:PID as
// [devices.Info] with Bus "serial".
//
// It does not know any light's protocol (package devices encodes the ASCII
// commands and reads the replies through ReadTimeout) and does not log.
// Serial lights have no feature reports. Write discards input still pending
// before it sends, so a reply that came too late for the previous command
// cannot pass for the acknowledgement of the next one.
//
// On Linux, Enumerate reads sysfs only and opens no port (ports_linux.go).
package serial

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	bugst "go.bug.st/serial"

	"github.com/onair-dev/onair/devices"
)

// port is one serial port with its USB identity, as found by enumeration.
type port struct {
	Name                          string
	IsUSB                         bool
	VID, PID                      string // hex, as the enumerator reports them
	Serial, Product, Manufacturer string
}

// Enumerate lists serial ports that are known lights, or every USB serial
// port with all set. Only ports whose VID:PID is a known serial light are
// actively probed for their strings (on Windows and macOS probing talks to
// the device).
func Enumerate(all bool) ([]devices.Info, error) {
	ports, err := detailedPorts(knownSerialID)
	if err != nil {
		return nil, fmt.Errorf("enumerate serial ports: %w", err)
	}
	return toInfos(ports, all), nil
}

// knownSerialID reports whether vid:pid (hex strings) is a serial light in
// the registry.
func knownSerialID(vid, pid string) bool {
	v, p, ok := parseIDs(vid, pid)
	if !ok {
		return false
	}
	for _, id := range devices.Entries() {
		if id.VID == v && id.PID == p && id.Driver.Bus == devices.Serial {
			return true
		}
	}
	return false
}

func parseIDs(vid, pid string) (uint16, uint16, bool) {
	v, err1 := strconv.ParseUint(vid, 16, 16)
	p, err2 := strconv.ParseUint(pid, 16, 16)
	return uint16(v), uint16(p), err1 == nil && err2 == nil
}

func toInfos(ports []port, all bool) []devices.Info {
	var infos []devices.Info
	for _, p := range ports {
		if !p.IsUSB {
			continue
		}
		v, pid, ok := parseIDs(p.VID, p.PID)
		if !ok {
			continue
		}
		info := devices.Info{
			VID: v, PID: pid, Product: p.Product, Manufacturer: p.Manufacturer,
			Serial: p.Serial, Interface: -1, Path: p.Name, Bus: devices.Serial,
		}
		if _, err := devices.Lookup(info); err != nil && !all {
			continue
		}
		infos = append(infos, info)
	}
	return infos
}

// defaultConfig is used for a port whose driver names no settings.
var defaultConfig = devices.SerialConfig{BaudRate: 115200, DTR: true, RTS: true}

// mode returns the port settings for a light: its driver's, 8N1.
func mode(info devices.Info) *bugst.Mode {
	cfg := defaultConfig
	if d, err := devices.Lookup(info); err == nil && d.Serial != nil {
		cfg = *d.Serial
	}
	return &bugst.Mode{
		BaudRate: cfg.BaudRate, DataBits: 8, Parity: bugst.NoParity, StopBits: bugst.OneStopBit,
		InitialStatusBits: &bugst.ModemOutputBits{RTS: cfg.RTS, DTR: cfg.DTR},
	}
}

// ErrPermission: the OS refused access to the port. On Linux the udev rules
// in configs/60-onair.rules grant it.
var ErrPermission = errors.New("permission denied")

// ErrInUse: another program has the port open.
var ErrInUse = errors.New("in use by another program")

// Open opens the serial light described by info (from Enumerate) with its
// driver's port settings.
func Open(info devices.Info) (*Transport, error) {
	p, err := bugst.Open(info.Path, mode(info))
	if err != nil {
		return nil, openError(info, err)
	}
	return &Transport{port: p}, nil
}

func openError(info devices.Info, err error) error {
	var code bugst.PortErrorCode = -1
	var pe *bugst.PortError
	var pv bugst.PortError
	switch {
	case errors.As(err, &pe):
		code = pe.Code()
	case errors.As(err, &pv):
		code = pv.Code()
	}
	switch code {
	case bugst.PermissionDenied:
		return fmt.Errorf("open %s: %w (%v); on Linux install onair's udev rules: %s", info.Path, ErrPermission, err, devices.UdevInstall)
	case bugst.PortBusy:
		return fmt.Errorf("open %s: %w (%v); quit the program using the light and try again", info.Path, ErrInUse, err)
	}
	return fmt.Errorf("open %s: %w", info.Path, err)
}

// serialPort is the part of go.bug.st/serial's Port this package uses.
type serialPort interface {
	io.ReadWriteCloser
	ResetInputBuffer() error
	SetReadTimeout(time.Duration) error
}

// Transport is one opened serial light. It implements devices.Transport and
// is safe for concurrent use.
type Transport struct {
	mu   sync.RWMutex // write-locked by Close
	wmu  sync.Mutex   // serialises writes
	port serialPort
}

var _ devices.Transport = (*Transport)(nil)

var errClosed = errors.New("serial: light closed")

// Write implements devices.Transport: it discards input still pending (a
// late reply), then writes p completely.
func (t *Transport) Write(p []byte) (int, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.port == nil {
		return 0, errClosed
	}
	t.wmu.Lock()
	defer t.wmu.Unlock()
	if err := t.port.ResetInputBuffer(); err != nil {
		return 0, fmt.Errorf("serial write: discard input: %w", err)
	}
	n, err := t.port.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return n, fmt.Errorf("serial write: %w", err)
	}
	return n, nil
}

// SendFeatureReport implements devices.Transport; serial lights have no
// feature reports.
func (t *Transport) SendFeatureReport([]byte) (int, error) {
	return 0, fmt.Errorf("serial: feature report: %w", devices.ErrUnsupported)
}

// ReadTimeout implements devices.Transport. A timeout ≤ 0 waits the
// shortest time the port supports (1 ms).
func (t *Transport) ReadTimeout(p []byte, timeout time.Duration) (int, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.port == nil {
		return 0, errClosed
	}
	if err := t.port.SetReadTimeout(max(timeout, time.Millisecond)); err != nil {
		return 0, fmt.Errorf("serial read: %w", err)
	}
	n, err := t.port.Read(p)
	if err != nil {
		return 0, fmt.Errorf("serial read: %w", err)
	}
	return n, nil
}

// Close implements devices.Transport. Closing twice is a no-op.
func (t *Transport) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.port == nil {
		return nil
	}
	err := t.port.Close()
	t.port = nil
	if err != nil {
		return fmt.Errorf("serial close: %w", err)
	}
	return nil
}

package devices

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Bus says which transport reaches a light.
type Bus string

// Buses.
const (
	HID    Bus = "hid"
	Serial Bus = "serial"
)

// Info describes one enumerated device (for HID: one interface of it).
type Info struct {
	VID, PID     uint16
	Product      string
	Manufacturer string
	Serial       string
	// Interface is the USB interface number (-1 when the OS does not say).
	Interface int
	// Path is what the transport opens: a hidapi path for HID, a port name
	// such as /dev/ttyACM0 or COM3 for serial.
	Path string
	Bus  Bus
	// Release is bcdDevice (BlinkStick tells its variants apart by it).
	Release uint16
}

// String returns a short description, e.g. `27BB:3BCD "BUSYLIGHT OMEGA" (hid 1-2:1.0)`.
func (i Info) String() string {
	return fmt.Sprintf("%04X:%04X %q (%s %s)", i.VID, i.PID, i.Product, i.Bus, i.Path)
}

// infoJSON is the JSON shape of Info: IDs as four hex digits, which is how
// people read them off lsusb and device managers.
type infoJSON struct {
	VID          hex16  `json:"vid"`
	PID          hex16  `json:"pid"`
	Product      string `json:"product,omitempty"`
	Manufacturer string `json:"manufacturer,omitempty"`
	Serial       string `json:"serial,omitempty"`
	Interface    *int   `json:"interface,omitempty"`
	Path         string `json:"path,omitempty"`
	Bus          Bus    `json:"bus,omitempty"`
	Release      hex16  `json:"release,omitempty"`
}

// hex16 is a uint16 written as "27bb"; on input it also accepts "0x27BB" and
// a JSON number.
type hex16 uint16

func (h hex16) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf(`"%04x"`, uint16(h))), nil
}

func (h *hex16) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] != '"' {
		var n uint16
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("invalid id %s: want \"27bb\" or a number 0–65535", b)
		}
		*h = hex16(n)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	t := strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	n, err := strconv.ParseUint(t, 16, 16)
	if err != nil || t == "" {
		return fmt.Errorf("invalid id %q: want four hex digits such as \"27bb\"", s)
	}
	*h = hex16(n)
	return nil
}

// MarshalJSON writes the stable JSON form of the "device" field of each row
// of `onair lights --json`, read back by [LoadInfoJSON].
func (i Info) MarshalJSON() ([]byte, error) {
	j := infoJSON{
		VID: hex16(i.VID), PID: hex16(i.PID), Product: i.Product,
		Manufacturer: i.Manufacturer, Serial: i.Serial, Path: i.Path,
		Bus: i.Bus, Release: hex16(i.Release),
	}
	if i.Interface >= 0 {
		j.Interface = &i.Interface
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the form written by MarshalJSON. A missing interface
// is -1, a missing bus is "hid".
func (i *Info) UnmarshalJSON(b []byte) error {
	var j infoJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return err
	}
	*i = Info{
		VID: uint16(j.VID), PID: uint16(j.PID), Product: j.Product,
		Manufacturer: j.Manufacturer, Serial: j.Serial, Interface: -1,
		Path: j.Path, Bus: j.Bus, Release: uint16(j.Release),
	}
	if j.Interface != nil {
		i.Interface = *j.Interface
	}
	switch i.Bus {
	case "":
		i.Bus = HID
	case HID, Serial:
	default:
		return fmt.Errorf("invalid bus %q (want hid or serial)", j.Bus)
	}
	return nil
}

// LoadInfoJSON reads a JSON array of devices in the form MarshalJSON writes
// (the "device" objects of `onair lights --json`; `onair lights --replay`
// takes such an array or the whole --json output). It is the replay input of the CLI: lights can be listed and
// identified from a recorded enumeration without hardware. Unknown fields are
// errors.
func LoadInfoJSON(r io.Reader) ([]Info, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var infos []Info
	if err := dec.Decode(&infos); err != nil {
		return nil, fmt.Errorf("read device list: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("read device list: trailing data after the array")
	}
	return infos, nil
}

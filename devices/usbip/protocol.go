package usbip

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Protocol constants (usbip_protocol.rst).
const (
	protocolVersion = 0x0111

	opReqDevlist = 0x8005
	opRepDevlist = 0x0005
	opReqImport  = 0x8003
	opRepImport  = 0x0003

	cmdSubmit = 1
	cmdUnlink = 2
	retSubmit = 3
	retUnlink = 4

	dirOut = 0
	dirIn  = 1

	headerSize       = 48
	deviceRecordSize = 312
)

// URB status values as the Linux kernel reports them (negative errno).
const (
	StatusOK         = 0
	StatusStall      = -32  // -EPIPE: endpoint halted
	StatusConnReset  = -104 // -ECONNRESET: URB unlinked while pending
	statusImportFail = 1
)

// Speed is a USB device speed as the kernel's enum usb_device_speed numbers
// it; vhci_hcd's attach file takes the same numbers.
type Speed uint32

// Speeds used by busy lights.
const (
	LowSpeed  Speed = 1
	FullSpeed Speed = 2
)

// header is the 48-byte URB header shared by CMD_SUBMIT, RET_SUBMIT,
// CMD_UNLINK and RET_UNLINK. Fields that do not apply to a command are zero.
type header struct {
	Command   uint32
	Seqnum    uint32
	Devid     uint32
	Direction uint32
	Ep        uint32
	// CMD_SUBMIT: transfer flags. RET_SUBMIT, RET_UNLINK: status.
	// CMD_UNLINK: seqnum of the URB to unlink.
	Word20 uint32
	// CMD_SUBMIT: transfer buffer length. RET_SUBMIT: actual length.
	Length          int32
	StartFrame      int32
	NumberOfPackets int32
	Interval        int32 // RET_SUBMIT: error count
	Setup           [8]byte
}

func (h *header) marshal() []byte {
	b := make([]byte, headerSize)
	be := binary.BigEndian
	be.PutUint32(b[0:], h.Command)
	be.PutUint32(b[4:], h.Seqnum)
	be.PutUint32(b[8:], h.Devid)
	be.PutUint32(b[12:], h.Direction)
	be.PutUint32(b[16:], h.Ep)
	be.PutUint32(b[20:], h.Word20)
	be.PutUint32(b[24:], uint32(h.Length))
	be.PutUint32(b[28:], uint32(h.StartFrame))
	be.PutUint32(b[32:], uint32(h.NumberOfPackets))
	be.PutUint32(b[36:], uint32(h.Interval))
	copy(b[40:], h.Setup[:])
	return b
}

func unmarshalHeader(b []byte) header {
	be := binary.BigEndian
	var h header
	h.Command = be.Uint32(b[0:])
	h.Seqnum = be.Uint32(b[4:])
	h.Devid = be.Uint32(b[8:])
	h.Direction = be.Uint32(b[12:])
	h.Ep = be.Uint32(b[16:])
	h.Word20 = be.Uint32(b[20:])
	h.Length = int32(be.Uint32(b[24:]))
	h.StartFrame = int32(be.Uint32(b[28:]))
	h.NumberOfPackets = int32(be.Uint32(b[32:]))
	h.Interval = int32(be.Uint32(b[36:]))
	copy(h.Setup[:], b[40:48])
	return h
}

func readHeader(r io.Reader) (header, error) {
	var b [headerSize]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return header{}, err
	}
	return unmarshalHeader(b[:]), nil
}

// setup is a USB control setup packet (little-endian fields).
type setup struct {
	RequestType uint8
	Request     uint8
	Value       uint16
	Index       uint16
	Length      uint16
}

func parseSetup(b [8]byte) setup {
	le := binary.LittleEndian
	return setup{b[0], b[1], le.Uint16(b[2:]), le.Uint16(b[4:]), le.Uint16(b[6:])}
}

func (s setup) bytes() [8]byte {
	var b [8]byte
	le := binary.LittleEndian
	b[0], b[1] = s.RequestType, s.Request
	le.PutUint16(b[2:], s.Value)
	le.PutUint16(b[4:], s.Index)
	le.PutUint16(b[6:], s.Length)
	return b
}

// DeviceRecord is the 312-byte device description in OP_REP_IMPORT and
// OP_REP_DEVLIST.
type DeviceRecord struct {
	Path                 string
	BusID                string
	BusNum, DevNum       uint32
	Speed                Speed
	VendorID, ProductID  uint16
	BCDDevice            uint16
	Class, SubClass      uint8
	Protocol             uint8
	ConfigurationValue   uint8
	NumConfigurations    uint8
	NumInterfaces        uint8
	InterfaceDescriptors [][3]uint8 // OP_REP_DEVLIST only: class, subclass, protocol
}

// DevID returns the devid a client writes to vhci_hcd's attach file and puts
// in URB headers: busnum<<16 | devnum.
func (r DeviceRecord) DevID() uint32 { return r.BusNum<<16 | r.DevNum }

func (r DeviceRecord) marshal() []byte {
	b := make([]byte, deviceRecordSize)
	be := binary.BigEndian
	copy(b[0:256], r.Path)
	copy(b[256:288], r.BusID)
	be.PutUint32(b[288:], r.BusNum)
	be.PutUint32(b[292:], r.DevNum)
	be.PutUint32(b[296:], uint32(r.Speed))
	be.PutUint16(b[300:], r.VendorID)
	be.PutUint16(b[302:], r.ProductID)
	be.PutUint16(b[304:], r.BCDDevice)
	b[306], b[307], b[308] = r.Class, r.SubClass, r.Protocol
	b[309], b[310], b[311] = r.ConfigurationValue, r.NumConfigurations, r.NumInterfaces
	return b
}

func cString(b []byte) string {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		return string(b[:i])
	}
	return string(b)
}

func unmarshalDeviceRecord(b []byte) DeviceRecord {
	be := binary.BigEndian
	return DeviceRecord{
		Path:               cString(b[0:256]),
		BusID:              cString(b[256:288]),
		BusNum:             be.Uint32(b[288:]),
		DevNum:             be.Uint32(b[292:]),
		Speed:              Speed(be.Uint32(b[296:])),
		VendorID:           be.Uint16(b[300:]),
		ProductID:          be.Uint16(b[302:]),
		BCDDevice:          be.Uint16(b[304:]),
		Class:              b[306],
		SubClass:           b[307],
		Protocol:           b[308],
		ConfigurationValue: b[309],
		NumConfigurations:  b[310],
		NumInterfaces:      b[311],
	}
}

// opHeader is the 8-byte header of the OP_* messages.
func opHeader(code uint16, status uint32) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint16(b[0:], protocolVersion)
	binary.BigEndian.PutUint16(b[2:], code)
	binary.BigEndian.PutUint32(b[4:], status)
	return b
}

// ErrImportRefused is returned by [Import] when the server has no importable
// device with the requested bus ID (unknown, unplugged or already attached).
var ErrImportRefused = errors.New("usbip: import refused")

// Import sends OP_REQ_IMPORT for busID on rw and reads the reply. After a
// successful import the connection carries URBs for that device: a Linux
// client hands its socket to vhci_hcd and must not read from it again.
func Import(rw io.ReadWriter, busID string) (DeviceRecord, error) {
	if len(busID) >= 32 {
		return DeviceRecord{}, fmt.Errorf("usbip: bus id %q too long", busID)
	}
	req := opHeader(opReqImport, 0)
	var id [32]byte
	copy(id[:], busID)
	if _, err := rw.Write(append(req, id[:]...)); err != nil {
		return DeviceRecord{}, fmt.Errorf("usbip: send import: %w", err)
	}
	var rep [8]byte
	if _, err := io.ReadFull(rw, rep[:]); err != nil {
		return DeviceRecord{}, fmt.Errorf("usbip: read import reply: %w", err)
	}
	if v, c := binary.BigEndian.Uint16(rep[0:]), binary.BigEndian.Uint16(rep[2:]); v != protocolVersion || c != opRepImport {
		return DeviceRecord{}, fmt.Errorf("usbip: bad import reply version %#04x code %#04x", v, c)
	}
	if st := binary.BigEndian.Uint32(rep[4:]); st != 0 {
		return DeviceRecord{}, fmt.Errorf("%w: bus id %s, status %d", ErrImportRefused, busID, st)
	}
	var rec [deviceRecordSize]byte
	if _, err := io.ReadFull(rw, rec[:]); err != nil {
		return DeviceRecord{}, fmt.Errorf("usbip: read device record: %w", err)
	}
	return unmarshalDeviceRecord(rec[:]), nil
}

// List sends OP_REQ_DEVLIST on rw and returns the exported devices.
func List(rw io.ReadWriter) ([]DeviceRecord, error) {
	if _, err := rw.Write(opHeader(opReqDevlist, 0)); err != nil {
		return nil, fmt.Errorf("usbip: send devlist: %w", err)
	}
	var rep [12]byte
	if _, err := io.ReadFull(rw, rep[:]); err != nil {
		return nil, fmt.Errorf("usbip: read devlist reply: %w", err)
	}
	if c := binary.BigEndian.Uint16(rep[2:]); c != opRepDevlist {
		return nil, fmt.Errorf("usbip: bad devlist reply code %#04x", c)
	}
	n := binary.BigEndian.Uint32(rep[8:])
	if n > 1024 {
		return nil, fmt.Errorf("usbip: devlist claims %d devices", n)
	}
	recs := make([]DeviceRecord, 0, n)
	for range n {
		var b [deviceRecordSize]byte
		if _, err := io.ReadFull(rw, b[:]); err != nil {
			return nil, fmt.Errorf("usbip: read devlist record: %w", err)
		}
		r := unmarshalDeviceRecord(b[:])
		for range r.NumInterfaces {
			var ib [4]byte
			if _, err := io.ReadFull(rw, ib[:]); err != nil {
				return nil, fmt.Errorf("usbip: read devlist interface: %w", err)
			}
			r.InterfaceDescriptors = append(r.InterfaceDescriptors, [3]uint8{ib[0], ib[1], ib[2]})
		}
		recs = append(recs, r)
	}
	return recs, nil
}

package usbip

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// RecordKind says how a report reached the device.
type RecordKind string

// Record kinds.
const (
	// InterruptOut is a transfer on an interrupt OUT endpoint.
	InterruptOut RecordKind = "interrupt-out"
	// SetReport is a HID class SET_REPORT control request.
	SetReport RecordKind = "set-report"
)

// Record is one report the device received.
type Record struct {
	Kind RecordKind
	// Interface is the interface number the report was addressed to.
	Interface uint8
	// Type is the report type: OutputReport for interrupt OUT, the
	// wValue type for SET_REPORT.
	Type ReportType
	// ReportID is the report ID: SET_REPORT's wValue low byte, or, for
	// interrupt OUT on an interface with numbered reports, the first data
	// byte; 0 otherwise.
	ReportID uint8
	// Data is exactly the bytes of the transfer's data stage.
	Data []byte
	Time time.Time
}

// String returns e.g. "interrupt-out if0 output id0 0100ff…".
func (r Record) String() string {
	return fmt.Sprintf("%s if%d %s id%d %x", r.Kind, r.Interface, r.Type, r.ReportID, r.Data)
}

// Options configures a [Server].
type Options struct {
	// Logf, when set, receives one line per connection event and per
	// unusual request. Nil discards.
	Logf func(format string, args ...any)
}

// Server is a USB/IP server exporting emulated lights. Add devices, then
// call Serve. Its methods are safe for concurrent use.
type Server struct {
	logf func(string, ...any)

	mu      sync.Mutex
	devices []*Device
	conns   map[net.Conn]struct{}
	closed  bool
	wg      sync.WaitGroup
}

// NewServer returns a server with no devices. It starts nothing.
func NewServer(opts Options) *Server {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	return &Server{logf: logf, conns: map[net.Conn]struct{}{}}
}

// Listen returns a TCP listener on an ephemeral loopback port. The emulator
// never listens on another address.
func Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("usbip: listen: %w", err)
	}
	return ln, nil
}

// Add exports a new device with profile p under the next bus ID ("1-1",
// "1-2", …). The device starts plugged in.
func (s *Server) Add(p Profile) *Device {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.devices) + 1
	d := &Device{
		srv:     s,
		profile: p.clone(),
		busID:   fmt.Sprintf("1-%d", n),
		busNum:  1,
		devNum:  uint32(n + 1),
		plugged: true,
		feature: map[uint8][]byte{},
		changed: make(chan struct{}),
	}
	s.devices = append(s.devices, d)
	return d
}

// Devices returns the exported devices in the order they were added.
func (s *Server) Devices() []*Device {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Device(nil), s.devices...)
}

func (s *Server) device(busID string) *Device {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.devices {
		if d.busID == busID {
			return d
		}
	}
	return nil
}

// Serve accepts connections on ln until ctx is done, then closes ln and every
// connection and returns after all its goroutines have exited.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var err error
	for {
		var c net.Conn
		c, err = ln.Accept()
		if err != nil {
			break
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			continue
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.serveConn(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("usbip: accept: %w", err)
}

// serveConn handles one connection: OP_REQ_DEVLIST (then close) or
// OP_REQ_IMPORT (then URBs until the connection ends).
func (s *Server) serveConn(c net.Conn) {
	defer c.Close()
	var op [8]byte
	if _, err := io.ReadFull(c, op[:]); err != nil {
		return
	}
	code := binary.BigEndian.Uint16(op[2:])
	switch code {
	case opReqDevlist:
		s.writeDevlist(c)
	case opReqImport:
		var id [32]byte
		if _, err := io.ReadFull(c, id[:]); err != nil {
			return
		}
		busID := cString(id[:])
		d := s.device(busID)
		if d == nil {
			s.logf("usbip: import %q: no such device", busID)
			c.Write(opHeader(opRepImport, statusImportFail))
			return
		}
		dc, err := d.attach(c)
		if err != nil {
			s.logf("usbip: import %s: %v", busID, err)
			c.Write(opHeader(opRepImport, statusImportFail))
			return
		}
		if _, err := c.Write(append(opHeader(opRepImport, 0), d.record().marshal()...)); err != nil {
			d.detach(dc)
			return
		}
		s.logf("usbip: %s %s attached", busID, d.profile.Name)
		err = dc.serve()
		d.detach(dc)
		s.logf("usbip: %s %s detached: %v", busID, d.profile.Name, err)
	default:
		s.logf("usbip: unknown op %#04x", code)
	}
}

func (s *Server) writeDevlist(c net.Conn) {
	var b []byte
	var n uint32
	for _, d := range s.Devices() {
		d.mu.Lock()
		ok := d.plugged && d.conn == nil
		d.mu.Unlock()
		if !ok {
			continue
		}
		n++
		b = append(b, d.record().marshal()...)
		for _, in := range d.profile.Interfaces {
			b = append(b, 3, in.SubClass, in.Protocol, 0)
		}
	}
	hdr := opHeader(opRepDevlist, 0)
	hdr = binary.BigEndian.AppendUint32(hdr, n)
	c.Write(append(hdr, b...))
}

// Device is one exported emulated light.
type Device struct {
	srv     *Server
	profile Profile
	busID   string
	busNum  uint32
	devNum  uint32

	mu      sync.Mutex
	plugged bool
	conn    *devConn
	imports int
	records []Record
	input   [][]byte         // queued input reports, wire bytes
	feature map[uint8][]byte // GET_REPORT(Feature) replies by report ID
	stall   int              // STALL the next n OUT reports; <0: all
	vanish  bool             // drop off the bus on the next OUT report
	changed chan struct{}    // closed and replaced on every change
	config  uint8
}

// Profile returns the device's profile.
func (d *Device) Profile() Profile { return d.profile.clone() }

// BusID returns the bus ID a client imports ("1-3").
func (d *Device) BusID() string { return d.busID }

func (d *Device) record() DeviceRecord {
	p := &d.profile
	return DeviceRecord{
		Path:               "/sys/devices/onair-usbip/" + d.busID,
		BusID:              d.busID,
		BusNum:             d.busNum,
		DevNum:             d.devNum,
		Speed:              p.Speed,
		VendorID:           p.VendorID,
		ProductID:          p.ProductID,
		BCDDevice:          p.Release,
		ConfigurationValue: 1,
		NumConfigurations:  1,
		NumInterfaces:      uint8(len(p.Interfaces)),
	}
}

// notifyLocked wakes every waiter. d.mu must be held.
func (d *Device) notifyLocked() {
	close(d.changed)
	d.changed = make(chan struct{})
}

// wait blocks until cond (evaluated with d.mu held) is true or ctx is done.
func (d *Device) wait(ctx context.Context, cond func() bool) error {
	for {
		d.mu.Lock()
		ok := cond()
		ch := d.changed
		d.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Records returns a copy of every report received so far.
func (d *Device) Records() []Record {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Record(nil), d.records...)
}

// ClearRecords forgets the reports received so far.
func (d *Device) ClearRecords() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.records = nil
}

// WaitRecords waits until at least n reports have been received since the
// last ClearRecords and returns all of them.
func (d *Device) WaitRecords(ctx context.Context, n int) ([]Record, error) {
	err := d.wait(ctx, func() bool { return len(d.records) >= n })
	recs := d.Records()
	if err != nil {
		return recs, fmt.Errorf("usbip: %s: got %d of %d reports: %w", d.busID, len(recs), n, err)
	}
	return recs, nil
}

// QueueInput queues an input report (data bytes, without a report-ID byte;
// the ID is added for interfaces with numbered reports) for the first
// interface that has input. It completes a pending interrupt IN URB at once.
func (d *Device) QueueInput(data []byte) {
	in := d.inputInterface()
	wire := append([]byte(nil), data...)
	if in != nil && in.numbered() && len(in.Input) > 0 {
		wire = append([]byte{in.Input[0].ID}, wire...)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.input = append(d.input, wire)
	if d.conn != nil {
		d.conn.flushInputLocked()
	}
}

func (d *Device) inputInterface() *Interface {
	for i := range d.profile.Interfaces {
		if len(d.profile.Interfaces[i].Input) > 0 {
			return &d.profile.Interfaces[i]
		}
	}
	return nil
}

// SetFeatureReply sets the data (including the report-ID byte) that
// GET_REPORT(Feature, id) returns. Without a reply set, GET_REPORT returns
// the last SET_REPORT(Feature) for that ID, or STALLs.
func (d *Device) SetFeatureReply(id uint8, data []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.feature[id] = append([]byte(nil), data...)
}

// StallReports makes the device answer the next n OUT reports (interrupt OUT
// or SET_REPORT) with a STALL (status -EPIPE) instead of accepting them;
// n < 0 stalls until StallReports(0). Stalled reports are not recorded.
func (d *Device) StallReports(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stall = n
}

// VanishOnWrite makes the device drop off the bus when the next OUT report
// arrives: the report is neither acknowledged nor recorded, the connection
// closes (the client sees a disconnect with the transfer in flight) and the
// device stays unplugged until Plug.
func (d *Device) VanishOnWrite() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.vanish = true
}

// Unplug drops the device off the bus: its connection closes, pending URBs
// are lost, and it cannot be imported until Plug.
func (d *Device) Unplug() {
	d.mu.Lock()
	d.plugged = false
	c := d.conn
	d.notifyLocked()
	d.mu.Unlock()
	if c != nil {
		c.c.Close()
	}
}

// Plug makes an unplugged device importable again; the client must import
// it anew, as after a real re-plug.
func (d *Device) Plug() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.plugged = true
	d.vanish = false
	d.notifyLocked()
}

// Attached reports whether a client has the device imported.
func (d *Device) Attached() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.conn != nil
}

// Imports returns how many times the device has been imported.
func (d *Device) Imports() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.imports
}

// WaitImported waits until the device has been imported at least n times in
// total and is attached.
func (d *Device) WaitImported(ctx context.Context, n int) error {
	return d.wait(ctx, func() bool { return d.imports >= n && d.conn != nil })
}

// WaitDetached waits until no client has the device imported.
func (d *Device) WaitDetached(ctx context.Context) error {
	return d.wait(ctx, func() bool { return d.conn == nil })
}

var (
	errUnplugged = errors.New("device is unplugged")
	errBusy      = errors.New("device is already imported")
)

func (d *Device) attach(c net.Conn) (*devConn, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.plugged {
		return nil, errUnplugged
	}
	if d.conn != nil {
		return nil, errBusy
	}
	dc := &devConn{d: d, c: c, pending: map[uint32]pendingIn{}}
	d.conn = dc
	d.imports++
	d.config = 0
	d.notifyLocked()
	return dc, nil
}

func (d *Device) detach(dc *devConn) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn == dc {
		d.conn = nil
		d.notifyLocked()
	}
}

// devConn is one imported session of a device.
type devConn struct {
	d *Device
	c net.Conn
	// pending interrupt IN URBs by seqnum, in arrival order via seqs.
	pending map[uint32]pendingIn
	seqs    []uint32
	dead    bool
}

type pendingIn struct {
	ep     uint32
	length int
}

// sendLocked writes one reply. d.mu must be held: replies leave in the
// order the device state changed, so a RET_UNLINK can never overtake the
// RET_SUBMIT of the URB it names.
func (dc *devConn) sendLocked(b []byte) {
	if dc.dead {
		return
	}
	dc.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := dc.c.Write(b); err != nil {
		dc.dead = true
		dc.c.Close()
	}
}

func (dc *devConn) retSubmitLocked(h header, status int32, data []byte, outLen int) {
	r := header{
		Command:         retSubmit,
		Seqnum:          h.Seqnum,
		Word20:          uint32(status),
		Length:          int32(outLen),
		NumberOfPackets: h.NumberOfPackets,
	}
	if data != nil {
		r.Length = int32(len(data))
	}
	dc.sendLocked(append(r.marshal(), data...))
}

// flushInputLocked completes pending interrupt IN URBs with queued input.
func (dc *devConn) flushInputLocked() {
	d := dc.d
	for len(d.input) > 0 && len(dc.seqs) > 0 {
		seq := dc.seqs[0]
		dc.seqs = dc.seqs[1:]
		p, ok := dc.pending[seq]
		if !ok {
			continue
		}
		delete(dc.pending, seq)
		data := d.input[0]
		d.input = d.input[1:]
		if len(data) > p.length {
			data = data[:p.length]
		}
		dc.retSubmitLocked(header{Seqnum: seq}, StatusOK, data, 0)
	}
}

// serve reads URBs until the connection fails.
func (dc *devConn) serve() error {
	for {
		h, err := readHeader(dc.c)
		if err != nil {
			return err
		}
		switch h.Command {
		case cmdSubmit:
			var data []byte
			if h.Direction == dirOut && h.Length > 0 {
				if h.Length > 1<<16 {
					return fmt.Errorf("transfer of %d bytes", h.Length)
				}
				data = make([]byte, h.Length)
				if _, err := io.ReadFull(dc.c, data); err != nil {
					return err
				}
			}
			if h.NumberOfPackets > 0 {
				return fmt.Errorf("isochronous transfer on ep %d", h.Ep)
			}
			if err := dc.submit(h, data); err != nil {
				return err
			}
		case cmdUnlink:
			dc.unlink(h)
		default:
			return fmt.Errorf("unknown command %d", h.Command)
		}
	}
}

func (dc *devConn) unlink(h header) {
	d := dc.d
	d.mu.Lock()
	defer d.mu.Unlock()
	victim := h.Word20
	status := int32(StatusOK)
	if _, ok := dc.pending[victim]; ok {
		delete(dc.pending, victim)
		status = StatusConnReset
	}
	r := header{Command: retUnlink, Seqnum: h.Seqnum, Word20: uint32(status)}
	dc.sendLocked(r.marshal())
}

// submit answers one CMD_SUBMIT. A non-nil error ends the connection.
func (dc *devConn) submit(h header, data []byte) error {
	d := dc.d
	d.mu.Lock()
	defer d.mu.Unlock()
	ep := uint8(h.Ep & 0x0F)
	if ep == 0 {
		return dc.controlLocked(h, data)
	}
	p := &d.profile
	for i := range p.Interfaces {
		in := &p.Interfaces[i]
		switch {
		case h.Direction == dirIn && in.InEndpoint&0x0F == ep:
			dc.pending[h.Seqnum] = pendingIn{ep: h.Ep, length: int(h.Length)}
			dc.seqs = append(dc.seqs, h.Seqnum)
			dc.flushInputLocked()
			return nil
		case h.Direction == dirOut && in.OutEndpoint != 0 && in.OutEndpoint&0x0F == ep:
			id := uint8(0)
			if in.numbered() && len(data) > 0 {
				id = data[0]
			}
			return dc.outReportLocked(h, Record{Kind: InterruptOut, Interface: in.Number, Type: OutputReport, ReportID: id, Data: data})
		}
	}
	d.srv.logf("usbip: %s: transfer on unknown endpoint %d dir %d", d.busID, ep, h.Direction)
	dc.retSubmitLocked(h, StatusStall, nil, 0)
	return nil
}

// outReportLocked applies faults, then records and acknowledges an OUT report.
func (dc *devConn) outReportLocked(h header, r Record) error {
	d := dc.d
	if d.vanish {
		d.vanish = false
		d.plugged = false
		d.notifyLocked()
		d.srv.logf("usbip: %s: vanishing during %s", d.busID, r)
		dc.dead = true
		return errors.New("device vanished during a write")
	}
	if d.stall != 0 {
		if d.stall > 0 {
			d.stall--
		}
		d.srv.logf("usbip: %s: stalling %s", d.busID, r)
		dc.retSubmitLocked(h, StatusStall, nil, 0)
		return nil
	}
	r.Time = time.Now()
	d.records = append(d.records, r)
	d.notifyLocked()
	if r.Kind == SetReport && r.Type == FeatureReport {
		d.feature[r.ReportID] = append([]byte(nil), r.Data...)
	}
	dc.retSubmitLocked(h, StatusOK, nil, len(r.Data))
	return nil
}

// controlLocked answers a control transfer on endpoint 0.
func (dc *devConn) controlLocked(h header, data []byte) error {
	d := dc.d
	p := &d.profile
	s := parseSetup(h.Setup)
	reply := func(b []byte) {
		if b == nil {
			dc.retSubmitLocked(h, StatusStall, nil, 0)
			return
		}
		if len(b) > int(s.Length) {
			b = b[:s.Length]
		}
		if len(b) > int(h.Length) {
			b = b[:h.Length]
		}
		dc.retSubmitLocked(h, StatusOK, b, 0)
	}
	ack := func() { dc.retSubmitLocked(h, StatusOK, nil, len(data)) }
	iface := p.Interface(uint8(s.Index))

	switch {
	case s.RequestType == 0x80 && s.Request == reqGetDescriptor:
		idx := uint8(s.Value)
		switch s.Value >> 8 {
		case descDevice:
			reply(deviceDescriptor(p))
		case descConfig:
			reply(configDescriptor(p))
		case descString:
			reply(stringDescriptor(p, idx))
		default: // device qualifier, BOS, …: a full/low-speed USB 2.0 device has none
			reply(nil)
		}
	case s.RequestType == 0x81 && s.Request == reqGetDescriptor && iface != nil:
		switch s.Value >> 8 {
		case descReport:
			reply(iface.ReportDescriptor())
		case descHID:
			reply(hidDescriptor(iface))
		default:
			reply(nil)
		}
	case s.RequestType == 0x80 && s.Request == reqGetStatus:
		reply([]byte{0, 0})
	case s.RequestType&0x80 == 0x80 && s.Request == reqGetStatus:
		reply([]byte{0, 0})
	case s.RequestType == 0x80 && s.Request == reqGetConfig:
		reply([]byte{d.config})
	case s.RequestType == 0x00 && s.Request == reqSetConfig:
		d.config = uint8(s.Value)
		ack()
	case s.RequestType == 0x81 && s.Request == reqGetInterface && iface != nil:
		reply([]byte{0})
	case s.RequestType == 0x01 && s.Request == reqSetInterface && iface != nil && s.Value == 0:
		ack()
	case s.RequestType&0x7F <= 0x02 && (s.Request == reqClearFeature || s.Request == reqSetFeature):
		ack()
	case s.RequestType == 0x21 && iface != nil && (s.Request == hidSetIdle || s.Request == hidSetProtocol):
		ack()
	case s.RequestType == 0xA1 && iface != nil && s.Request == hidGetIdle:
		reply([]byte{0})
	case s.RequestType == 0xA1 && iface != nil && s.Request == hidGetProtocol:
		reply([]byte{1})
	case s.RequestType == 0x21 && iface != nil && s.Request == hidSetReport:
		t := ReportType(s.Value >> 8)
		return dc.outReportLocked(h, Record{Kind: SetReport, Interface: iface.Number, Type: t, ReportID: uint8(s.Value), Data: data})
	case s.RequestType == 0xA1 && iface != nil && s.Request == hidGetReport:
		id := uint8(s.Value)
		switch ReportType(s.Value >> 8) {
		case FeatureReport:
			reply(d.feature[id])
		case InputReport:
			if len(d.input) == 0 {
				reply(nil)
				break
			}
			b := d.input[0]
			d.input = d.input[1:]
			reply(b)
		default:
			reply(nil)
		}
	default:
		d.srv.logf("usbip: %s: stalling control request %s", d.busID, describeSetup(s))
		reply(nil)
	}
	return nil
}

func describeSetup(s setup) string {
	var b strings.Builder
	fmt.Fprintf(&b, "bmRequestType=%#02x bRequest=%#02x wValue=%#04x wIndex=%#04x wLength=%d",
		s.RequestType, s.Request, s.Value, s.Index, s.Length)
	return b.String()
}

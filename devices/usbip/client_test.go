package usbip

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"
	"unicode/utf16"
)

// testClient is a tiny USB/IP client: it imports one device and then submits
// URBs the way vhci_hcd does, so the server can be tested without a kernel.
type testClient struct {
	t     *testing.T
	c     net.Conn
	rec   DeviceRecord
	seq   uint32
	dirIn map[uint32]bool
}

// startServer serves srv on a loopback port until the test ends.
func startServer(t *testing.T, srv *Server) string {
	t.Helper()
	ln, err := Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func importDevice(t *testing.T, addr, busID string) *testClient {
	t.Helper()
	c := dial(t, addr)
	rec, err := Import(c, busID)
	if err != nil {
		t.Fatalf("Import(%s): %v", busID, err)
	}
	return &testClient{t: t, c: c, rec: rec, dirIn: map[uint32]bool{}}
}

// submit sends a CMD_SUBMIT and returns its seqnum.
func (tc *testClient) submit(ep uint8, in bool, s *setup, length int, data []byte) uint32 {
	tc.t.Helper()
	tc.seq++
	h := header{Command: cmdSubmit, Seqnum: tc.seq, Devid: tc.rec.DevID(), Ep: uint32(ep), Length: int32(length)}
	if in {
		h.Direction = dirIn
	}
	if s != nil {
		h.Setup = s.bytes()
	}
	tc.dirIn[tc.seq] = in
	b := h.marshal()
	if !in {
		b = append(b, data...)
	}
	if _, err := tc.c.Write(b); err != nil {
		tc.t.Fatalf("submit: %v", err)
	}
	return tc.seq
}

func (tc *testClient) unlink(victim uint32) uint32 {
	tc.t.Helper()
	tc.seq++
	h := header{Command: cmdUnlink, Seqnum: tc.seq, Devid: tc.rec.DevID(), Word20: victim}
	if _, err := tc.c.Write(h.marshal()); err != nil {
		tc.t.Fatalf("unlink: %v", err)
	}
	return tc.seq
}

// read returns the next reply, waiting at most d.
func (tc *testClient) read(d time.Duration) (header, []byte, error) {
	tc.c.SetReadDeadline(time.Now().Add(d))
	h, err := readHeader(tc.c)
	if err != nil {
		return h, nil, err
	}
	var data []byte
	if h.Command == retSubmit && tc.dirIn[h.Seqnum] && h.Length > 0 {
		data = make([]byte, h.Length)
		if _, err := io.ReadFull(tc.c, data); err != nil {
			return h, nil, err
		}
	}
	return h, data, nil
}

func (tc *testClient) mustRead() (header, []byte) {
	tc.t.Helper()
	h, data, err := tc.read(5 * time.Second)
	if err != nil {
		tc.t.Fatalf("read reply: %v", err)
	}
	return h, data
}

// control runs one control transfer and returns its status and IN data.
func (tc *testClient) control(rt, req uint8, value, index uint16, length int, data []byte) (int32, []byte) {
	tc.t.Helper()
	in := rt&0x80 != 0
	if !in {
		length = len(data)
	}
	s := setup{rt, req, value, index, uint16(length)}
	seq := tc.submit(0, in, &s, length, data)
	h, got := tc.mustRead()
	if h.Command != retSubmit || h.Seqnum != seq {
		tc.t.Fatalf("control: got command %d seq %d, want RET_SUBMIT seq %d", h.Command, h.Seqnum, seq)
	}
	return int32(h.Word20), got
}

func (tc *testClient) getDescriptor(rt uint8, typ, idx uint8, index uint16) []byte {
	tc.t.Helper()
	st, b := tc.control(rt, reqGetDescriptor, uint16(typ)<<8|uint16(idx), index, 4096, nil)
	if st != StatusOK {
		tc.t.Fatalf("GET_DESCRIPTOR type %#x index %d: status %d", typ, idx, st)
	}
	return b
}

func (tc *testClient) getString(idx uint8) string {
	tc.t.Helper()
	b := tc.getDescriptor(0x80, descString, idx, 0x0409)
	if len(b) < 2 || int(b[0]) != len(b) || b[1] != descString {
		tc.t.Fatalf("bad string descriptor % x", b)
	}
	u := make([]uint16, (len(b)-2)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2+2*i:])
	}
	return string(utf16.Decode(u))
}

// expectEOF checks that the server closed the connection.
func (tc *testClient) expectEOF() {
	tc.t.Helper()
	_, _, err := tc.read(5 * time.Second)
	if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			tc.t.Fatalf("connection still open: %v", err)
		}
		if err == nil {
			tc.t.Fatal("got a reply, want the connection closed")
		}
	}
}

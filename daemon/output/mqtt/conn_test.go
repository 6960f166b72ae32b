package mqtt

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// gatedConn is a net.Conn whose writes are recorded and, while gated, wait
// for release (or for the write deadline, as a stalled TCP link would).
type gatedConn struct {
	net.Conn // nil: only the methods below are used

	entered chan struct{} // one value per Write call, on entry
	mu      sync.Mutex
	gate    chan struct{} // closed: writes proceed
	writes  [][]byte
	fail    error
	dl      time.Time
	closed  bool
}

func newGatedConn() *gatedConn {
	g := &gatedConn{entered: make(chan struct{}, 1024), gate: make(chan struct{})}
	close(g.gate)
	return g
}

func (g *gatedConn) hold() {
	g.mu.Lock()
	g.gate = make(chan struct{})
	g.mu.Unlock()
}

func (g *gatedConn) release() {
	g.mu.Lock()
	close(g.gate)
	g.mu.Unlock()
}

func (g *gatedConn) Write(p []byte) (int, error) {
	g.entered <- struct{}{}
	g.mu.Lock()
	gate, dl, fail := g.gate, g.dl, g.fail
	g.mu.Unlock()
	var timeout <-chan time.Time
	if !dl.IsZero() {
		t := time.NewTimer(time.Until(dl))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-gate:
	case <-timeout:
		return 0, os.ErrDeadlineExceeded
	}
	if fail != nil {
		return 0, fail
	}
	g.mu.Lock()
	g.writes = append(g.writes, bytes.Clone(p))
	g.mu.Unlock()
	return len(p), nil
}

func (g *gatedConn) SetWriteDeadline(t time.Time) error {
	g.mu.Lock()
	g.dl = t
	g.mu.Unlock()
	return nil
}

func (g *gatedConn) Read([]byte) (int, error) { return 0, io.EOF }

func (g *gatedConn) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return net.ErrClosed
	}
	g.closed = true
	return nil
}

func (g *gatedConn) written() (calls int, all []byte) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, w := range g.writes {
		all = append(all, w...)
	}
	return len(g.writes), all
}

// packet is a stand-in for one small MQTT packet.
func packet(i int) []byte { return bytes.Repeat([]byte{byte(i)}, 100) }

// While one write is on the wire, everything queued behind it goes out in
// the next write: 100 packets, 2 write calls, in order.
func TestBatchConnCoalesces(t *testing.T) {
	g := newGatedConn()
	g.hold()
	c := newBatchConn(g, time.Minute)
	var want []byte
	for i := range 100 {
		if _, err := c.Write(packet(i)); err != nil {
			t.Fatal(err)
		}
		want = append(want, packet(i)...)
		if i == 0 {
			<-g.entered // the writer has taken packet 0 and waits at the gate
		}
	}
	g.release()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	calls, got := g.written()
	if calls != 2 {
		t.Errorf("%d write calls for 100 packets queued behind one, want 2", calls)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("bytes on the wire differ from the packets in order (%d bytes, want %d)", len(got), len(want))
	}
}

// A large backlog goes out in chunks of at most writeChunk bytes, each
// with its own deadline, so the write timeout still means "the link took
// nothing for that long".
func TestBatchConnChunks(t *testing.T) {
	g := newGatedConn()
	g.hold()
	c := newBatchConn(g, time.Minute)
	big := bytes.Repeat([]byte("x"), 3*writeChunk+10)
	if _, err := c.Write([]byte("first")); err != nil {
		t.Fatal(err)
	}
	<-g.entered
	if _, err := c.Write(big); err != nil {
		t.Fatal(err)
	}
	g.release()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.writes) != 5 {
		t.Fatalf("%d writes, want 5: \"first\", then 3 full chunks and 10 bytes", len(g.writes))
	}
	for i, w := range g.writes[1:] {
		if len(w) > writeChunk {
			t.Errorf("write %d is %d bytes, over writeChunk (%d)", i+1, len(w), writeChunk)
		}
	}
}

// A failed write is returned by the next Write, as paho needs to report
// the connection lost.
func TestBatchConnWriteError(t *testing.T) {
	g := newGatedConn()
	broken := errors.New("broken pipe")
	g.fail = broken
	c := newBatchConn(g, time.Minute)
	defer c.Close()
	if _, err := c.Write(packet(1)); err != nil {
		t.Fatalf("first Write: %v, want queued", err)
	}
	<-c.done // the writer stops at the failure
	if _, err := c.Write(packet(2)); !errors.Is(err, broken) {
		t.Fatalf("Write after a failed write: %v, want %v", err, broken)
	}
}

// Close sends what is queued (paho's DISCONNECT) before closing, and a
// Write after Close fails as on a closed connection.
func TestBatchConnCloseFlushes(t *testing.T) {
	g := newGatedConn()
	c := newBatchConn(g, time.Minute)
	g.hold()
	c.Write(packet(1))
	<-g.entered
	c.Write(packet(2)) // queued behind packet 1
	closed := make(chan error)
	go func() { closed <- c.Close() }()
	g.release()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if _, got := g.written(); !bytes.Equal(got, append(packet(1), packet(2)...)) {
		t.Errorf("Close lost queued bytes: %d on the wire, want %d", len(got), 200)
	}
	if !g.closed {
		t.Error("Close did not close the connection")
	}
	if _, err := c.Write(packet(3)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Write after Close: %v, want net.ErrClosed", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// On a stalled link, Close gives up after the write timeout instead of
// hanging paho's disconnect.
func TestBatchConnCloseStalled(t *testing.T) {
	g := newGatedConn()
	g.hold() // never released: the broker reads nothing
	c := newBatchConn(g, 20*time.Millisecond)
	c.Write(packet(1))
	<-g.entered
	c.Write(packet(2))
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if !g.closed {
		t.Error("Close did not close the stalled connection")
	}
}

// Write waits while maxQueued bytes are queued, and goes on once the
// link takes them. synctest.Wait returns once every goroutine of the test
// is durably blocked, so "still waiting" is an observation, not a guess.
func TestBatchConnBackpressure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGatedConn()
		g.hold()
		c := newBatchConn(g, time.Minute)
		c.Write(packet(0))
		<-g.entered
		if _, err := c.Write(make([]byte, maxQueued)); err != nil {
			t.Fatal(err) // the queue was empty: taken whatever its size
		}
		wrote := make(chan struct{})
		go func() {
			c.Write(packet(1)) // over maxQueued: waits for the link
			close(wrote)
		}()
		synctest.Wait()
		select {
		case <-wrote:
			t.Fatal("Write returned with the queue full and the link stalled")
		default:
		}
		g.release()
		<-wrote
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if _, got := g.written(); len(got) != 100+maxQueued+100 {
			t.Errorf("%d bytes on the wire, want %d", len(got), 100+maxQueued+100)
		}
	})
}

package mqtt

import (
	"bufio"
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/onair-dev/onair/daemon/mdns"
	netproxy "golang.org/x/net/proxy"
)

// openConn opens the connection paho speaks MQTT over, as paho's own
// openConnection (netconn.go) does for the schemes Options accepts, and
// wraps it in a batchConn. It is the ClientOptions' CustomOpenConnectionFn.
// TCP dials honour all_proxy as paho's do, and a .local broker the system
// resolver does not know is found by multicast DNS (daemon/mdns): Home
// Assistant OS answers as homeassistant.local.
func openConn(u *url.URL, o paho.ClientOptions) (net.Conn, error) {
	dialer := o.Dialer
	if dialer == nil {
		dialer = &net.Dialer{Timeout: o.ConnectTimeout}
	}
	var (
		conn net.Conn
		err  error
	)
	switch u.Scheme {
	case "tcp", "mqtt":
		conn, err = netproxy.FromEnvironmentUsing(&mdns.Dialer{Dialer: dialer}).Dial("tcp", u.Host)
	case "ssl", "tls", "mqtts":
		var raw net.Conn
		if raw, err = netproxy.FromEnvironmentUsing(&mdns.Dialer{Dialer: dialer}).Dial("tcp", u.Host); err != nil {
			break
		}
		cfg := o.TLSConfig.Clone()
		if cfg == nil {
			cfg = &tls.Config{}
		}
		if cfg.ServerName == "" {
			cfg.ServerName = u.Hostname()
		}
		tc := tls.Client(raw, cfg)
		ctx, cancel := context.WithTimeout(context.Background(), cmp.Or(o.ConnectTimeout, 30*time.Second))
		err = tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			_ = raw.Close()
			break
		}
		conn = tc
	case "ws", "wss":
		d := *u
		d.User = nil // gorilla/websocket refuses URLs with user info
		var tlsc *tls.Config
		if u.Scheme == "wss" {
			tlsc = o.TLSConfig
		}
		conn, err = paho.NewWebsocket(d.String(), tlsc, o.ConnectTimeout, o.HTTPHeaders, o.WebsocketOptions)
	default:
		return nil, fmt.Errorf("unsupported broker scheme %q", u.Scheme)
	}
	if err != nil {
		return nil, err
	}
	return newBatchConn(conn, o.WriteTimeout), nil
}

// Sizes of batchConn's buffers.
const (
	readBuffer = 4 << 10
	// writeChunk is the most one write system call sends, so that the
	// write timeout keeps meaning what it meant for a single MQTT packet:
	// the link accepted nothing for that long.
	writeChunk = 16 << 10
	// maxQueued is how much Write queues before it waits for the link.
	maxQueued = 256 << 10
)

// batchConn is the connection under paho, changed in two ways that matter
// when thousands of messages go out at once and cost nothing when idle:
//
//   - Reads are buffered. paho reads each packet's fixed header one byte
//     at a time (packets.ReadPacket), three or more reads per PUBACK.
//   - Writes are queued and sent by one goroutine that takes everything
//     queued so far. paho hands each packet to its own Write, so 10,000
//     state messages were 10,000 write system calls, each also paying for
//     the loopback TCP path when the broker is local; now a burst goes out
//     in a few large writes. Nothing waits for company: a write starts as
//     soon as the previous one is done.
//
// A failed write is returned by the next Write (paho then reports the
// connection lost), and Close sends what is queued (paho's DISCONNECT)
// before closing, bounded by the write timeout.
type batchConn struct {
	net.Conn
	r            *bufio.Reader
	writeTimeout time.Duration
	done         chan struct{} // closed when the writer exits

	mu      sync.Mutex
	cond    *sync.Cond // queue changed, err set, or closing
	queued  []byte
	spare   []byte // the writer's last buffer, reused
	err     error  // the first write error; later Writes return it
	closing bool

	closeBy atomic.Int64 // deadline of the final flush (Unix ns), once closing

	closeOnce sync.Once
	closeErr  error
}

func newBatchConn(c net.Conn, writeTimeout time.Duration) *batchConn {
	b := &batchConn{Conn: c, r: bufio.NewReaderSize(c, readBuffer), writeTimeout: writeTimeout, done: make(chan struct{})}
	b.cond = sync.NewCond(&b.mu)
	go b.writer()
	return b
}

// Read implements net.Conn. paho reads from one goroutine at a time.
func (b *batchConn) Read(p []byte) (int, error) { return b.r.Read(p) }

// Write implements net.Conn: it queues p and returns. It waits only while
// maxQueued bytes are queued already (a stalled link), and returns the
// error of an earlier write that failed.
func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.err == nil && !b.closing && len(b.queued) > 0 && len(b.queued)+len(p) > maxQueued {
		b.cond.Wait()
	}
	switch {
	case b.err != nil:
		return 0, b.err
	case b.closing:
		return 0, net.ErrClosed
	}
	b.queued = append(b.queued, p...)
	b.cond.Broadcast()
	return len(p), nil
}

// SetDeadline sets the read deadline; writes have their own, see
// SetWriteDeadline.
func (b *batchConn) SetDeadline(t time.Time) error { return b.Conn.SetReadDeadline(t) }

// SetWriteDeadline is a no-op: paho sets it around each Write, which only
// queues; the writer gives each chunk the write timeout instead.
func (b *batchConn) SetWriteDeadline(time.Time) error { return nil }

// writer sends what is queued until Close or a write error.
func (b *batchConn) writer() {
	defer close(b.done)
	b.mu.Lock()
	for {
		for len(b.queued) == 0 && !b.closing && b.err == nil {
			b.cond.Wait()
		}
		if b.err != nil || len(b.queued) == 0 {
			b.mu.Unlock()
			return // failed, or closing with nothing left to send
		}
		buf := b.queued
		b.queued = b.spare[:0]
		b.mu.Unlock()

		err := b.send(buf)

		b.mu.Lock()
		if cap(buf) <= maxQueued+writeChunk {
			b.spare = buf[:0]
		} else {
			b.spare = nil
		}
		if err != nil {
			b.err = err
		}
		b.cond.Broadcast()
	}
}

// send writes buf in chunks of at most writeChunk bytes, each bounded by
// the write timeout and, once closing, by the final flush's deadline.
func (b *batchConn) send(buf []byte) error {
	for len(buf) > 0 {
		n := min(len(buf), writeChunk)
		var dl time.Time
		if b.writeTimeout > 0 {
			dl = time.Now().Add(b.writeTimeout)
		}
		if by := b.closeBy.Load(); by != 0 && (dl.IsZero() || by < dl.UnixNano()) {
			dl = time.Unix(0, by)
		}
		if err := b.Conn.SetWriteDeadline(dl); err != nil {
			return err
		}
		if _, err := b.Conn.Write(buf[:n]); err != nil {
			return err
		}
		buf = buf[n:]
	}
	return nil
}

// Close sends what is queued, for at most the write timeout (one second
// when there is none), then closes the connection. It is safe to call more
// than once and from several goroutines.
func (b *batchConn) Close() error {
	b.closeOnce.Do(func() {
		wait := b.writeTimeout
		if wait <= 0 {
			wait = time.Second
		}
		by := time.Now().Add(wait)
		b.closeBy.Store(by.UnixNano())
		b.mu.Lock()
		b.closing = true
		b.cond.Broadcast()
		b.mu.Unlock()
		// Cut short a write already blocked on a stalled link.
		_ = b.Conn.SetWriteDeadline(by)
		<-b.done
		b.closeErr = b.Conn.Close()
	})
	if errors.Is(b.closeErr, net.ErrClosed) {
		return nil
	}
	return b.closeErr
}

// Package mqtttest runs an embedded MQTT broker (mochi-mqtt) on loopback
// for tests, with the races of mochi v2.7.9 that onair's tests ran into
// worked around, so that it behaves as mosquitto does:
//
//   - Close can deadlock while a client is being removed (Stop).
//   - A subscription's scan of the retained messages races other clients'
//     publishes (retainOrder).
//   - A client ID that connects again can leave a client connected that
//     the next CONNECT with its ID no longer finds (connectGate,
//     takeoverHook).
//
// It is for tests only; nothing in the shipped binary imports it.
package mqtttest

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Options configures Start.
type Options struct {
	Addr       string // "" = an ephemeral loopback port
	User, Pass string // with User set, only these credentials may connect
	TLS        *tls.Config
}

// Broker is a running broker. Server is mochi's, for tests that subscribe
// or publish in-process (its inline client is on).
type Broker struct {
	Server *mochi.Server
	Addr   string // host:port
	ln     *trackingListener
	once   sync.Once
}

// Start runs a broker until the test ends (or Stop).
func Start(tb testing.TB, o Options) *Broker {
	tb.Helper()
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	raw, err := net.Listen("tcp", o.Addr)
	if err != nil {
		tb.Fatal(err)
	}
	tl := &trackingListener{Listener: raw}
	var ln net.Listener = tl
	if o.TLS != nil {
		ln = tls.NewListener(ln, o.TLS)
	}
	gate := &connectGate{}
	ln = takeoverListener{Listener: ln, gate: gate}
	srv := mochi.New(&mochi.Options{InlineClient: true, Logger: slog.New(slog.DiscardHandler)})
	for _, h := range []mochi.Hook{&authHook{user: o.User, pass: o.Pass}, &takeoverHook{gate: gate}, &retainOrder{}} {
		if err := srv.AddHook(h, nil); err != nil {
			tb.Fatal(err)
		}
	}
	if err := srv.AddListener(listeners.NewNet("test", ln)); err != nil {
		tb.Fatal(err)
	}
	if err := srv.Serve(); err != nil {
		tb.Fatal(err)
	}
	b := &Broker{Server: srv, Addr: raw.Addr().String(), ln: tl}
	tb.Cleanup(b.Stop)
	return b
}

// Stop drops every client and closes the broker; it is safe to call more
// than once. mochi v2.7.9's Close can deadlock when a client is removed
// while it walks the client list (Clients.GetByListener takes its read
// lock twice, and a waiting Delete blocks the second), so the connections
// are dropped first and Close waits, bounded, until mochi has removed
// them.
func (b *Broker) Stop() {
	b.once.Do(func() {
		b.ln.Close()
		b.ln.closeConns()
		deadline := time.Now().Add(5 * time.Second)
		for b.Server.Clients.Len() > 1 && time.Now().Before(deadline) { // 1: the inline client
			t := time.NewTimer(time.Millisecond)
			<-t.C
		}
		_ = b.Server.Close()
	})
}

// trackingListener remembers accepted connections so that Stop can drop
// them before closing the broker.
type trackingListener struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns = append(l.conns, c)
		l.mu.Unlock()
	}
	return c, err
}

func (l *trackingListener) closeConns() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		c.Close()
	}
	l.conns = nil
}

// authHook allows everyone, or only user/pass when user is set.
type authHook struct {
	mochi.HookBase
	user, pass string
}

func (h *authHook) ID() string { return "test-auth" }
func (h *authHook) Provides(b byte) bool {
	return b == mochi.OnConnectAuthenticate || b == mochi.OnACLCheck
}
func (h *authHook) OnConnectAuthenticate(_ *mochi.Client, pk packets.Packet) bool {
	return h.user == "" || (string(pk.Connect.Username) == h.user && string(pk.Connect.Password) == h.pass)
}
func (h *authHook) OnACLCheck(*mochi.Client, string, bool) bool { return true }

// retainOrder works around a data race in mochi v2.7.9: a subscription's
// scan of the retained messages (TopicsIndex.scanMessages, no lock) runs
// after the SUBACK is sent, so a client that waited for its SUBACK may
// race a retained publish of another client with that scan. A test waits
// until the scan is over (a retained message it delivers arrives), and
// this hook makes that order visible to the race detector: the retained
// delivery and every publish pass through one mutex.
type retainOrder struct {
	mochi.HookBase
	mu sync.Mutex
}

func (h *retainOrder) ID() string { return "retain-order" }

func (h *retainOrder) Provides(b byte) bool {
	return b == mochi.OnPublish || b == mochi.OnRetainPublished
}

func (h *retainOrder) OnPublish(_ *mochi.Client, pk packets.Packet) (packets.Packet, error) {
	h.mu.Lock()
	//lint:ignore SA2001 an empty critical section: the ordering is the point
	h.mu.Unlock()
	return pk, nil
}

func (h *retainOrder) OnRetainPublished(*mochi.Client, packets.Packet) {
	h.mu.Lock()
	//lint:ignore SA2001 as in OnPublish
	h.mu.Unlock()
}

// connectGate and takeoverHook make mochi's session takeover atomic, as
// mosquitto's is. mochi v2.7.9 (Server.attachClient) has two races when a
// client ID connects again, and either leaves a client connected and
// served that the next CONNECT with its ID no longer finds, so it is never
// knocked off: two onair twins then sit side by side, and the mqtt
// package's TestTwinWithTheSameClientIDIsNamed waited in vain (2 runs in
// 60 with both cores busy, 1 in 15 under Wine).
//
//   - Two CONNECTs at once: it looks up the session to take over and
//     stores the new client in two steps without a lock
//     (inheritClientSession, then Clients.Add); both can find the same
//     one, and the second Add overwrites the first. connectGate lets one
//     connection at a time from its first read (the CONNECT) to its first
//     write (the CONNACK, written after the Add), or its end.
//   - The client taken over: its connection is closed before it is marked
//     taken over, and when its read loop ends unmarked it deletes its ID
//     from the client map, which by then may hold the new client.
//     takeoverHook holds it in OnDisconnect until the taker has written
//     its CONNACK, so it is marked by the time it looks.
type connectGate struct{ mu sync.Mutex }

// wait returns when no connection holds the gate.
func (g *connectGate) wait() {
	g.mu.Lock()
	defer g.mu.Unlock()
}

type takeoverHook struct {
	mochi.HookBase
	gate *connectGate
}

func (h *takeoverHook) ID() string           { return "test-takeover" }
func (h *takeoverHook) Provides(b byte) bool { return b == mochi.OnDisconnect }
func (h *takeoverHook) OnDisconnect(cl *mochi.Client, _ error, _ bool) {
	if errors.Is(cl.StopCause(), packets.ErrSessionTakenOver) {
		h.gate.wait()
	}
}

type takeoverListener struct {
	net.Listener
	gate *connectGate
}

func (l takeoverListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &takeoverConn{Conn: c, gate: l.gate}, nil
}

// takeoverConn holds the gate from its first Read until its first Write, a
// failed Read or Close, whichever comes first.
type takeoverConn struct {
	net.Conn
	gate *connectGate
	mu   sync.Mutex
	// state: 0 before the first Read, 1 holding the gate, 2 done with it.
	state int
}

func (c *takeoverConn) enter() {
	c.mu.Lock()
	first := c.state == 0
	if first {
		c.state = 1
	}
	c.mu.Unlock()
	if first {
		c.gate.mu.Lock()
	}
}

func (c *takeoverConn) leave() {
	c.mu.Lock()
	held := c.state == 1
	c.state = 2
	c.mu.Unlock()
	if held {
		c.gate.mu.Unlock()
	}
}

func (c *takeoverConn) Read(p []byte) (int, error) {
	c.enter()
	n, err := c.Conn.Read(p)
	if err != nil {
		c.leave()
	}
	return n, err
}

func (c *takeoverConn) Write(p []byte) (int, error) {
	c.leave()
	return c.Conn.Write(p)
}

func (c *takeoverConn) Close() error {
	c.leave()
	return c.Conn.Close()
}

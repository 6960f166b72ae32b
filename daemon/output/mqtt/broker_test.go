package mqtt

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	mqttpackets "github.com/eclipse/paho.mqtt.golang/packets"
	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/onair-dev/onair/daemon/output/mqtt/mqtttest"
)

// Test harness: an embedded mochi-mqtt broker on loopback, an observer that
// records every message the broker routes, a TCP proxy whose connections can
// be cut (the client vanishes without DISCONNECT), and a log recorder. Tests
// wait on recorded events with a timeout, never on sleeps.

const waitTimeout = 10 * time.Second

// feed is an append-only list that tests can wait on.
type feed[T any] struct {
	mu    sync.Mutex
	items []T
	ch    chan struct{}
}

func (f *feed[T]) add(v T) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items = append(f.items, v)
	if f.ch != nil {
		close(f.ch)
		f.ch = nil
	}
}

func (f *feed[T]) len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.items)
}

func (f *feed[T]) snapshot() []T {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]T(nil), f.items...)
}

// wait returns the index and value of the first item at or after from that
// satisfies pred, failing the test after waitTimeout.
func (f *feed[T]) wait(t testing.TB, from int, desc string, pred func(T) bool) (int, T) {
	t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		for i := from; i < len(f.items); i++ {
			if pred(f.items[i]) {
				v := f.items[i]
				f.mu.Unlock()
				return i, v
			}
		}
		from = max(from, len(f.items))
		if f.ch == nil {
			f.ch = make(chan struct{})
		}
		ch := f.ch
		f.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			if os.Getenv("MQTT_TEST_DEBUG") != "" {
				buf := make([]byte, 1<<20)
				t.Logf("items: %v\n%s", f.snapshot(), buf[:runtime.Stack(buf, true)])
			}
			t.Fatalf("timed out waiting for %s", desc)
		}
	}
}

type msg struct {
	topic   string
	payload string
	retain  bool
}

func is(want string) func(string) bool { return func(s string) bool { return s == want } }

// broker is an embedded broker (mqtttest) whose routed messages are
// recorded in msgs.
type broker struct {
	*mqtttest.Broker
	srv  *mochi.Server
	addr string
	msgs *feed[msg]
}

type brokerOpts struct {
	addr       string // "" = ephemeral port
	user, pass string
	tls        *tls.Config
}

func startBroker(t testing.TB, o brokerOpts) *broker {
	t.Helper()
	mb := mqtttest.Start(t, mqtttest.Options{Addr: o.addr, User: o.user, Pass: o.pass, TLS: o.tls})
	b := &broker{Broker: mb, srv: mb.Server, addr: mb.Addr, msgs: &feed[msg]{}}
	err := b.srv.Subscribe("#", 1, func(_ *mochi.Client, _ packets.Subscription, pk packets.Packet) {
		b.msgs.add(msg{topic: pk.TopicName, payload: string(pk.Payload), retain: pk.FixedHeader.Retain})
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// stop drops every client and closes the broker (mqtttest.Broker.Stop).
func (b *broker) stop() { b.Stop() }

// wait waits for a message on topic, at or after index from, whose payload
// satisfies pred (nil: any payload).
func (b *broker) wait(t testing.TB, from int, topic string, pred func(string) bool) (int, msg) {
	t.Helper()
	return b.msgs.wait(t, from, "message on "+topic, func(m msg) bool {
		return m.topic == topic && (pred == nil || pred(m.payload))
	})
}

// retained returns the retained payload of topic and whether there is one.
func (b *broker) retained(topic string) (string, bool) {
	pks := b.srv.Topics.Messages(topic)
	if len(pks) == 0 {
		return "", false
	}
	return string(pks[0].Payload), true
}

// mustRetain waits until want has been routed on topic, then checks that it
// is what the broker retains.
func (b *broker) mustRetain(t testing.TB, topic, want string) {
	t.Helper()
	b.wait(t, 0, topic, is(want))
	got, ok := b.retained(topic)
	if !ok {
		t.Errorf("%s: nothing retained, want %q", topic, want)
	} else if got != want {
		t.Errorf("%s: retained %q, want %q", topic, got, want)
	}
}

// publish sends a message as another client would.
func (b *broker) publish(t testing.TB, topic, payload string, retain bool) {
	t.Helper()
	if err := b.srv.Publish(topic, []byte(payload), retain, 0); err != nil {
		t.Fatal(err)
	}
}

// proxy forwards TCP connections to a broker. cut closes every connection
// abruptly on both sides (no DISCONNECT); while down, new connections are
// closed at once.
type proxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn
	down   bool
}

func startProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		u, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, u)
		p.mu.Unlock()
		p.wg.Go(func() { _, _ = io.Copy(u, c); u.Close(); c.Close() })
		p.wg.Go(func() { _, _ = io.Copy(c, u); u.Close(); c.Close() })
	}
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // RST, like a crashed process or a pulled cable
		}
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) setDown(down bool) {
	p.mu.Lock()
	p.down = down
	p.mu.Unlock()
}

// logRecorder is a slog.Handler that records every record.
type logRecorder struct{ recs *feed[slog.Record] }

func (h logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h logRecorder) Handle(_ context.Context, r slog.Record) error {
	h.recs.add(r.Clone())
	return nil
}
func (h logRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h logRecorder) WithGroup(string) slog.Handler      { return h }

func attr(r slog.Record, key string) string {
	var out string
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			out = a.Value.String()
			return false
		}
		return true
	})
	return out
}

// running is a Publisher whose Run is going.
type running struct {
	*Publisher
	logs *feed[slog.Record]
	stop func() // cancels Run and waits for it to return
}

func startPublisher(t testing.TB, opts Options) running {
	t.Helper()
	logs := &feed[slog.Record]{}
	opts.Logger = slog.New(logRecorder{logs})
	if opts.NodeID == "" {
		opts.NodeID = "pi"
	}
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	p.retryMin, p.retryMax = 20*time.Millisecond, 200*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(waitTimeout):
				t.Errorf("Run did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return running{Publisher: p, logs: logs, stop: stop}
}

func (r running) waitLog(t testing.TB, from int, level slog.Level, message string) (int, slog.Record) {
	t.Helper()
	return r.logs.wait(t, from, fmt.Sprintf("log %s %q", level, message), func(rec slog.Record) bool {
		return rec.Level == level && rec.Message == message
	})
}

// slowBroker is a minimal MQTT server for the cases mochi cannot play: it
// answers CONNECT (and SUBSCRIBE unless noSuback) but never acknowledges a
// PUBLISH, like an overloaded broker or one behind a stalled link. It records
// what it receives.
type slowBroker struct {
	ln         net.Listener
	noSuback   bool
	subscribed chan struct{} // closed at the first SUBSCRIBE
	msgs       *feed[msg]
	wg         sync.WaitGroup
	mu         sync.Mutex
	conns      []net.Conn
	once       sync.Once
}

func startSlowBroker(t testing.TB, noSuback bool) *slowBroker {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &slowBroker{ln: ln, noSuback: noSuback, subscribed: make(chan struct{}), msgs: &feed[msg]{}}
	b.wg.Go(b.accept)
	t.Cleanup(func() {
		ln.Close()
		b.mu.Lock()
		for _, c := range b.conns {
			c.Close()
		}
		b.mu.Unlock()
		b.wg.Wait()
	})
	return b
}

func (b *slowBroker) addr() string { return b.ln.Addr().String() }

func (b *slowBroker) accept() {
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.mu.Lock()
		b.conns = append(b.conns, c)
		b.mu.Unlock()
		b.wg.Go(func() { b.serve(c) })
	}
}

func (b *slowBroker) serve(c net.Conn) {
	defer c.Close()
	for {
		cp, err := mqttpackets.ReadPacket(c)
		if err != nil {
			return
		}
		var reply mqttpackets.ControlPacket
		switch pk := cp.(type) {
		case *mqttpackets.ConnectPacket:
			reply = mqttpackets.NewControlPacket(mqttpackets.Connack)
		case *mqttpackets.SubscribePacket:
			b.once.Do(func() { close(b.subscribed) })
			if !b.noSuback {
				sa := mqttpackets.NewControlPacket(mqttpackets.Suback).(*mqttpackets.SubackPacket)
				sa.MessageID = pk.MessageID
				sa.ReturnCodes = pk.Qoss
				reply = sa
			}
		case *mqttpackets.PingreqPacket:
			reply = mqttpackets.NewControlPacket(mqttpackets.Pingresp)
		case *mqttpackets.PublishPacket:
			b.msgs.add(msg{topic: pk.TopicName, payload: string(pk.Payload), retain: pk.Retain})
		case *mqttpackets.DisconnectPacket:
			return
		}
		if reply != nil {
			if err := reply.Write(c); err != nil {
				return
			}
		}
	}
}

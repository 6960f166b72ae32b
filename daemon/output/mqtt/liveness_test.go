package mqtt

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// freezer forwards TCP to a broker until frozen; then it keeps every
// connection open and drops every byte, both ways, like a hung broker.
type freezer struct {
	ln     net.Listener
	target string
	frozen atomic.Bool
	mu     sync.Mutex
	conns  []net.Conn
}

func startFreezer(t *testing.T, target string) *freezer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln, target: target}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			f.mu.Lock()
			f.conns = append(f.conns, c, u)
			f.mu.Unlock()
			go io.Copy(f.gate(u), c)
			go io.Copy(f.gate(c), u)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		f.mu.Lock()
		for _, c := range f.conns {
			c.Close()
		}
		f.mu.Unlock()
	})
	return f
}

type gateWriter struct {
	f *freezer
	w io.Writer
}

func (f *freezer) gate(w io.Writer) io.Writer { return gateWriter{f, w} }

func (g gateWriter) Write(p []byte) (int, error) {
	if g.f.frozen.Load() {
		return len(p), nil // swallowed
	}
	return g.w.Write(p)
}

// A broker that stops answering is noticed within two keep-alives of the
// last traffic, and status says what happened.
func TestFrozenBrokerNoticedWithinTwoKeepAlives(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	fz := startFreezer(t, b.addr)
	const keepAlive = 4 * time.Second
	p := startPublisher(t, Options{Broker: "tcp://" + fz.ln.Addr().String(), KeepAlive: keepAlive})
	p.waitLog(t, 0, slog.LevelInfo, "mqtt connected")
	b.wait(t, 0, "onair/pi/status", is("online"))
	frozeAt := time.Now()
	fz.frozen.Store(true)

	_, rec := p.logs.wait(t, 0, "connection lost", func(r slog.Record) bool { return r.Message == "mqtt connection lost" })
	took := rec.Time.Sub(frozeAt)
	t.Logf("frozen broker noticed after %v (keep-alive %v)", took, keepAlive)
	if took > 2*keepAlive {
		t.Errorf("noticed after %v, want within two keep-alives (%v)", took, 2*keepAlive)
	}
	st := p.Status()
	if st.Connected || !errors.Is(st.LastError, ErrBrokerSilent) {
		t.Errorf("status = connected %v, error %v; want disconnected with ErrBrokerSilent", st.Connected, st.LastError)
	}
	o := &Output{p: p.Publisher}
	if os := o.Status()[0]; !strings.Contains(os.Detail, "broker stopped answering") {
		t.Errorf("output status = %+v, want it to say the broker stopped answering", os)
	}
}

package mqtt

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// mosquittoAddr runs Debian's mosquitto on a loopback port. It skips when
// mosquitto is missing, or fails when CI demands every tool
// (ONAIR_REQUIRE_TOOLS=1).
func mosquittoAddr(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		msg := "mosquitto not found: install it (apt-get install mosquitto) to run this test"
		if os.Getenv("ONAIR_REQUIRE_TOOLS") == "1" {
			t.Fatal(msg + "; ONAIR_REQUIRE_TOOLS=1 makes this a failure")
		}
		t.Skip(msg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)
	conf := filepath.Join(t.TempDir(), "mosquitto.conf")
	os.WriteFile(conf, []byte("listener "+port+" 127.0.0.1\nallow_anonymous true\npersistence false\n"), 0o600)
	cmd := exec.Command(bin, "-c", conf)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("mosquitto did not listen on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Two daemons with the same client ID knock each other off the broker: each
// one notices, logs once what to do, shows it in Status, and backs off
// instead of reconnecting at full speed.
func TestTwinWithTheSameClientIDIsNamed(t *testing.T) {
	for _, tc := range []struct {
		name string
		addr func(t *testing.T) string
	}{
		{"mochi", func(t *testing.T) string { return startBroker(t, brokerOpts{}).addr }},
		{"mosquitto", mosquittoAddr},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := tc.addr(t)
			opts := Options{Broker: "tcp://" + addr, NodeID: "raspberrypi"}
			a := startPublisher(t, opts)
			a.waitLog(t, 0, slog.LevelInfo, "mqtt connected")
			b := startPublisher(t, opts)
			want := "another onair uses client_id onair-raspberrypi (node_id raspberrypi): set mqtt.node_id"

			// Each knocks the other off, so both notice; each says it once.
			for _, p := range []running{a, b} {
				p.waitLog(t, 0, slog.LevelError, want)
				if st := p.Status(); !strings.HasPrefix(st.Twin, want) {
					t.Errorf("status twin = %q, want %q", st.Twin, want)
				}
			}
			t.Logf("evidence: %s", a.Status().Twin)
			for _, p := range []running{a, b} {
				n := 0
				for _, r := range p.logs.snapshot() {
					if r.Level == slog.LevelError && r.Message == want {
						n++
					}
				}
				if n != 1 {
					t.Errorf("twin logged %d times at ERROR, want once", n)
				}
			}

			// The output shows it as a conflict in `onair status`.
			for _, p := range []running{a, b} {
				if p.Status().Twin == "" {
					continue
				}
				o := &Output{p: p.Publisher}
				st := o.Status()[0]
				if st.State != "conflict" || !strings.Contains(st.Detail, "set mqtt.node_id") {
					t.Errorf("output status = %+v, want conflict naming the fix", st)
				}
			}
		})
	}
}

// With a twin suspected, a session that came up no longer resets the
// backoff: the pair settles instead of reconnecting dozens of times a
// minute.
func TestTwinKeepsTheBackoffGrowing(t *testing.T) {
	p, err := New(Options{Broker: "tcp://127.0.0.1:1", NodeID: "pi"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range twinSessions - 1 {
		if p.noteSession(true, time.Second) {
			t.Fatalf("twin suspected after %d short sessions", i+1)
		}
	}
	if !p.noteSession(true, time.Second) {
		t.Fatalf("no twin after %d short sessions", twinSessions)
	}
	if !strings.Contains(p.Status().Twin, fmt.Sprintf("%d times in a row", twinSessions)) {
		t.Errorf("status twin = %q", p.Status().Twin)
	}
	if p.noteSession(true, time.Hour) || p.Status().Twin != "" {
		t.Errorf("a long session did not clear the twin: %q", p.Status().Twin)
	}
}

// Another onair with our node ID but its own client ID: no kicks, but its
// "offline" lands on our status topic. We notice, say so once, and put
// "online" back for Home Assistant.
func TestTwinWithTheSameNodeIDIsNamed(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	a := startPublisher(t, Options{Broker: "tcp://" + b.addr, NodeID: "raspberrypi", ClientID: "onair-a"})
	a.waitLog(t, 0, slog.LevelInfo, "mqtt connected")
	other := startPublisher(t, Options{Broker: "tcp://" + b.addr, NodeID: "raspberrypi", ClientID: "onair-b"})
	other.waitLog(t, 0, slog.LevelInfo, "mqtt connected")
	from := b.msgs.len()
	other.stop() // publishes "offline" on the shared status topic
	want := "another onair publishes as node_id raspberrypi: set mqtt.node_id"
	a.waitLog(t, 0, slog.LevelError, want)
	if !strings.HasPrefix(a.Status().Twin, want) {
		t.Errorf("status twin = %q", a.Status().Twin)
	}
	b.wait(t, from, "onair/raspberrypi/status", is("online"))
}

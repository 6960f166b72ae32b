package mqtt

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/onair-dev/onair/daemon/secret"
	"github.com/onair-dev/onair/mapping"
)

func busyState(user, label string) UserState {
	return UserState{
		User:     user,
		Presence: mapping.Presence{User: user, Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityInACall},
		Signal:   mapping.Signal{Color: mapping.MustColor("red"), Brightness: 100, Effect: mapping.Solid, Label: label},
		Since:    time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC),
		Busy:     true,
	}
}

// labelIs matches a state JSON payload by its label.
func labelIs(label string) func(string) bool {
	return func(s string) bool {
		var v struct{ Label string }
		return json.Unmarshal([]byte(s), &v) == nil && v.Label == label
	}
}

func TestPublishesDiscoveryAndRetainedState(t *testing.T) {
	for _, mode := range []DiscoveryMode{DiscoveryDevice, DiscoveryComponents} {
		t.Run(string(mode), func(t *testing.T) {
			b := startBroker(t, brokerOpts{})
			signs := []Sign{
				{Name: "door", User: "me", Topic: "office/door"},
				{Name: "text", User: "me", Topic: "office/door/text", Format: SignText},
				{Name: "strip", User: "Jane.Doe@contoso.com", Topic: "wled/door", Format: SignWLED},
			}
			p := startPublisher(t, Options{Broker: "tcp://" + b.addr, Discovery: mode, Version: "1.2.3", Signs: signs, PlainTopics: true})
			p.SetUsers([]string{"me", "jane.doe@contoso.com"})
			p.Update(busyState("me", "On a call"))
			jane := busyState("jane.doe@contoso.com", "Away")
			jane.Signal = mapping.Signal{Color: mapping.MustColor("yellow"), Brightness: 50, Effect: mapping.Blink, Label: "Away"}
			p.Update(jane)
			p.SetHealth(Health{State: HealthLoginRequired, Message: "run onair login"})

			b.wait(t, 0, "onair/pi/status", is("online"))
			b.wait(t, 0, "onair/pi/me/state", labelIs("On a call"))
			b.wait(t, 0, "wled/door", is("128"))
			b.wait(t, 0, "wled/door/col", nil)
			b.wait(t, 0, "wled/door/api", nil)
			b.wait(t, 0, "office/door", nil)
			b.wait(t, 0, "office/door/text", nil)
			b.wait(t, 0, "onair/pi/health", nil)
			want := p.DiscoveryPayloads([]string{"me", "jane.doe@contoso.com"})
			for topic, payload := range want {
				b.wait(t, 0, topic, nil)
				b.mustRetain(t, topic, string(payload))
			}
			b.mustRetain(t, "onair/pi/status", "online")
			b.mustRetain(t, "onair/pi/me/availability", "busy")
			b.mustRetain(t, "onair/pi/me/activity", "in_a_call")
			b.mustRetain(t, "onair/pi/me/color", "#ff0000")
			b.mustRetain(t, "onair/pi/me/label", "On a call")
			b.mustRetain(t, "onair/pi/jane_doe_contoso_com/label", "Away")
			b.mustRetain(t, "onair/pi/health", `{"state":"login-required","message":"run onair login"}`)
			b.mustRetain(t, "onair/pi/override", `{"option":"auto"}`)
			b.mustRetain(t, "onair/pi/paused", `{"paused":false}`)
			b.mustRetain(t, "office/door/text", "On a call")
			b.mustRetain(t, "office/door", `{"color":"#ff0000","brightness":100,"effect":"solid","label":"On a call","availability":"busy","activity":"in_a_call","busy":true,"online":true}`)
			b.mustRetain(t, "wled/door/col", "#FFA000")
			b.mustRetain(t, "wled/door/api", `{"seg":[{"fx":1}]}`)
			if st, ok := b.retained("onair/pi/me/state"); !ok || !labelIs("On a call")(st) {
				t.Errorf("state not retained: %q", st)
			}

			until := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
			p.SetOverride(Command{Kind: CommandSet, Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityBusy, For: time.Hour}.Override(until.Add(-time.Hour)))
			p.SetPaused(true, until)
			b.wait(t, 0, "onair/pi/override", is(`{"option":"busy","availability":"busy","activity":"busy","until":"2026-01-01T10:00:00Z"}`))
			b.wait(t, 0, "onair/pi/paused", is(`{"paused":true,"until":"2026-01-01T10:00:00Z"}`))

			st := p.Status()
			if !st.Connected || st.LastError != nil || st.LastConnect.IsZero() || st.Broker != "tcp://"+b.addr || st.ClientID != "onair-pi" {
				t.Errorf("Status = %+v", st)
			}
		})
	}
}

func TestUnchangedStateIsNotResent(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	p := startPublisher(t, Options{Broker: b.addr})
	p.Update(busyState("me", "one"))
	b.wait(t, 0, "onair/pi/me/state", labelIs("one"))
	p.Update(busyState("me", "one"))
	p.Update(busyState("me", "two"))
	i, _ := b.wait(t, 0, "onair/pi/me/state", labelIs("two"))
	n := 0
	for _, m := range b.msgs.snapshot()[:i+1] {
		if m.topic == "onair/pi/me/state" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("state published %d times for 2 distinct values", n)
	}
}

func TestLastWillOnAbruptDisconnect(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	px := startProxy(t, b.addr)
	p := startPublisher(t, Options{Broker: "tcp://" + px.addr()})
	i, _ := b.wait(t, 0, "onair/pi/status", is("online"))

	px.cut() // the client vanishes without DISCONNECT: the broker sends the will
	i, _ = b.wait(t, i+1, "onair/pi/status", is("offline"))
	p.waitLog(t, 0, slog.LevelWarn, "mqtt connection lost")

	// And the publisher comes back by itself.
	b.wait(t, i+1, "onair/pi/status", is("online"))
	b.mustRetain(t, "onair/pi/status", "online")
}

func TestReconnectAfterBrokerRestartResendsEverything(t *testing.T) {
	b1 := startBroker(t, brokerOpts{})
	addr := b1.addr
	p := startPublisher(t, Options{Broker: "tcp://" + addr})
	p.Update(busyState("me", "before"))
	b1.wait(t, 0, "onair/pi/me/state", labelIs("before"))

	b1.stop()
	p.waitLog(t, 0, slog.LevelWarn, "mqtt connection lost")
	p.Update(busyState("me", "during"))
	b2 := startBroker(t, brokerOpts{addr: addr}) // empty retained store

	b2.wait(t, 0, "onair/pi/status", is("online"))
	b2.wait(t, 0, "onair/pi/me/state", labelIs("during"))
	for topic, payload := range p.DiscoveryPayloads([]string{"me"}) {
		b2.wait(t, 0, topic, nil)
		b2.mustRetain(t, topic, string(payload))
	}
	if st, ok := b2.retained("onair/pi/me/state"); !ok || !labelIs("during")(st) {
		t.Errorf("state not retained after the restart: %q", st)
	}
	b2.mustRetain(t, "onair/pi/health", `{"state":"ok","message":""}`)
	p.waitLog(t, 0, slog.LevelInfo, "mqtt connected")
}

func TestBirthMessageResendsDiscovery(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	p := startPublisher(t, Options{Broker: b.addr, DiscoveryPrefix: "ha"})
	p.Update(busyState("me", "x"))
	devTopic := "ha/device/onair_pi_me/config"
	i, _ := b.wait(t, 0, devTopic, nil)
	j, _ := b.wait(t, 0, "onair/pi/me/state", nil)

	b.publish(t, "homeassistant/status", "offline", false)
	b.publish(t, "ha/status", "online", false) // the discovery prefix's status topic
	i, _ = b.wait(t, i+1, devTopic, nil)
	b.wait(t, j+1, "onair/pi/me/state", labelIs("x"))     // states follow discovery
	b.publish(t, "homeassistant/status", "online", false) // HA's default birth topic
	b.wait(t, i+1, devTopic, nil)
}

func TestCommandsReachCallback(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	got := make(chan Command, 1)
	startPublisher(t, Options{Broker: b.addr, OnCommand: func(c Command) error { got <- c; return nil }})
	b.wait(t, 0, "onair/pi/status", is("online"))

	tests := []struct {
		payload string
		want    Command
	}{
		{`{"status":"busy","for":"30m"}`, Command{Kind: CommandSet, Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityBusy, For: 30 * time.Minute}},
		{`{"status":"in_a_meeting"}`, Command{Kind: CommandSet, Availability: mapping.AvailabilityBusy, Activity: mapping.ActivityInAMeeting}},
		{`{"color":"#00ff00","for":"1h"}`, Command{Kind: CommandSet, Color: mapping.Color{G: 255}, HasColor: true, For: time.Hour}},
		{`{"color":"red","effect":"blink"}`, Command{Kind: CommandSet, Color: mapping.Red, HasColor: true, Effect: mapping.Blink}},
		{"do_not_disturb", Command{Kind: CommandSet, Availability: mapping.AvailabilityDoNotDisturb, Activity: mapping.ActivityDoNotDisturb}},
		{"clear", Command{Kind: CommandClear}},
		{"auto", Command{Kind: CommandClear}},
		{"pause", Command{Kind: CommandPause}},
		{`{"command":"pause","for":"15m"}`, Command{Kind: CommandPause, For: 15 * time.Minute}},
		{"resume", Command{Kind: CommandResume}},
	}
	for _, tt := range tests {
		b.publish(t, "onair/pi/set", tt.payload, false)
		select {
		case c := <-got:
			if diff := cmp.Diff(tt.want, c); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.payload, diff)
			}
		case <-time.After(waitTimeout):
			t.Fatalf("%s: callback not called", tt.payload)
		}
	}
}

func TestBadCommandsAreAnswered(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	// A retained command (left by a careless client) would re-apply an old
	// override at every start; it is answered, not applied.
	b.publish(t, "onair/pi/set", "busy", true)
	got := make(chan Command, 16)
	fail := errors.New("override store is read-only")
	p := startPublisher(t, Options{Broker: b.addr, OnCommand: func(c Command) error {
		got <- c
		if c.Kind == CommandPause {
			return fail
		}
		return nil
	}})
	b.wait(t, 0, "onair/pi/status", is("online"))

	type reply struct{ Reason, Error, Command string }
	next := 0
	expectError := func(payload, reason string, publish bool) {
		t.Helper()
		if publish {
			b.publish(t, "onair/pi/set", payload, false)
		}
		i, m := b.wait(t, next, "onair/pi/error", nil)
		next = i + 1
		var r reply
		if err := json.Unmarshal([]byte(m.payload), &r); err != nil {
			t.Fatalf("error payload %q: %v", m.payload, err)
		}
		if r.Reason != reason || r.Error == "" || r.Command != truncate(strings.ToValidUTF8(payload, "?"), 128) {
			t.Errorf("%q answered %+v, want reason %q", payload, r, reason)
		}
		if _, ok := b.retained("onair/pi/error"); ok {
			t.Errorf("error reply is retained")
		}
	}
	expectError("busy", "retained", false)
	b.publish(t, "onair/pi/set", "", true) // clear the retained command
	for _, bc := range badCommands {
		if bc.in == "" {
			continue // zero bytes delete a retained message; silently ignored
		}
		expectError(bc.in, bc.reason, true)
	}
	select {
	case c := <-got:
		t.Fatalf("a rejected command reached the callback: %+v", c)
	default:
	}
	b.wait(t, 0, "onair/pi/override", is(`{"option":"auto"}`))

	// Rejections are logged at most once per rejectLogEvery, whatever the
	// reason: a flood of bad commands cannot fill the log.
	expectError("nonsense-1", "unknown_command", true)
	expectError("nonsense-2", "unknown_command", true)
	rejected := func() (n int, last slog.Record) {
		for _, r := range p.logs.snapshot() {
			if r.Message == "mqtt command rejected" {
				n, last = n+1, r
			}
		}
		return n, last
	}
	if n, _ := rejected(); n != 1 {
		t.Errorf("rejections logged %d times, want 1", n)
	}
	// The next WARN after the period says how many were left out.
	p.mu.Lock()
	left := p.rejects.suppressed
	p.rejects.last = time.Now().Add(-rejectLogEvery)
	p.mu.Unlock()
	expectError("nonsense-3", "unknown_command", true)
	if n, r := rejected(); n != 2 || attr(r, "suppressed") != fmt.Sprint(left) || left < 2 {
		t.Errorf("second WARN: %d logged, suppressed=%s; want 2 and %d", n, attr(r, "suppressed"), left)
	}

	// An error from the callback is published too.
	expectError("pause", "callback", true)
	if c := <-got; c.Kind != CommandPause {
		t.Errorf("callback got %+v", c)
	}
	// And a good command still works afterwards.
	b.publish(t, "onair/pi/set", "resume", false)
	select {
	case c := <-got:
		if c.Kind != CommandResume {
			t.Errorf("callback got %+v, want resume", c)
		}
	case <-time.After(waitTimeout):
		t.Fatal("resume not delivered")
	}
}

func TestBrokerDownAtStart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here yet

	p := startPublisher(t, Options{Broker: "tcp://" + addr})
	p.Update(busyState("me", "queued"))
	i, rec := p.waitLog(t, 0, slog.LevelWarn, "mqtt connect failed")
	if attr(rec, "err") == "" || attr(rec, "broker") != "tcp://"+addr {
		t.Errorf("failure log lacks detail: %v", rec)
	}
	st := p.Status()
	if st.Connected || st.LastError == nil || st.Pending == 0 {
		t.Errorf("Status while down = %+v", st)
	}

	b := startBroker(t, brokerOpts{addr: addr})
	b.wait(t, 0, "onair/pi/status", is("online"))
	b.wait(t, 0, "onair/pi/me/state", labelIs("queued"))
	// Retries while down were not logged again and again.
	for _, r := range p.logs.snapshot()[i+1:] {
		if r.Message == "mqtt connect failed" && attr(r, "err") == attr(rec, "err") {
			t.Errorf("repeated failure logged again: %v", r)
		}
	}
	if st := p.Status(); !st.Connected || st.LastError != nil {
		t.Errorf("Status after connect = %+v", st)
	}
}

func TestCoalescesWhileDisconnected(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	px := startProxy(t, b.addr)
	p := startPublisher(t, Options{Broker: px.addr()})
	p.Update(busyState("me", "v0"))
	b.wait(t, 0, "onair/pi/me/state", labelIs("v0"))

	px.setDown(true)
	px.cut()
	cut, _ := b.wait(t, 0, "onair/pi/status", is("offline"))
	p.waitLog(t, 0, slog.LevelWarn, "mqtt connection lost")
	for i := 1; i <= 5; i++ {
		p.Update(busyState("me", fmt.Sprintf("v%d", i)))
	}
	if st := p.Status(); st.Connected || st.Pending == 0 {
		t.Errorf("Status while cut = %+v", st)
	}
	px.setDown(false)
	last, _ := b.wait(t, cut, "onair/pi/me/state", labelIs("v5"))
	for _, m := range b.msgs.snapshot()[cut:last] {
		if m.topic == "onair/pi/me/state" && !labelIs("v5")(m.payload) {
			t.Errorf("intermediate value delivered after reconnect: %s %s", m.topic, m.payload)
		}
	}
	if st, ok := b.retained("onair/pi/me/state"); !ok || !labelIs("v5")(st) {
		t.Errorf("state not retained: %q", st)
	}
}

func TestBadCredentialsAreReported(t *testing.T) {
	b := startBroker(t, brokerOpts{user: "onair", pass: "right"})
	p := startPublisher(t, Options{Broker: b.addr, Username: "onair", Password: secret.New("wrong")})
	_, rec := p.waitLog(t, 0, slog.LevelError, "mqtt connect failed")
	if !strings.Contains(attr(rec, "err"), "username") {
		t.Errorf("error does not say what to check: %s", attr(rec, "err"))
	}
	if st := p.Status(); !errors.Is(st.LastError, ErrNotAuthorized) || st.Connected {
		t.Errorf("Status = %+v, want ErrNotAuthorized", st)
	}

	ok := startPublisher(t, Options{Broker: b.addr, NodeID: "good", Username: "onair", Password: secret.New("right")})
	b.wait(t, 0, "onair/good/status", is("online"))
	ok.stop()
}

func TestTLS(t *testing.T) {
	caPEM, serverCfg := testCA(t)
	b := startBroker(t, brokerOpts{tls: serverCfg})

	untrusted := startPublisher(t, Options{Broker: "ssl://" + b.addr, NodeID: "untrusted"})
	_, rec := untrusted.waitLog(t, 0, slog.LevelError, "mqtt connect failed")
	if st := untrusted.Status(); !errors.Is(st.LastError, ErrTLS) {
		t.Errorf("Status = %+v (log %v), want ErrTLS", st, rec)
	}
	untrusted.stop()

	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	startPublisher(t, Options{Broker: "mqtts://" + b.addr, CAFile: caFile, NodeID: "trusted"})
	b.wait(t, 0, "onair/trusted/status", is("online"))

	insecure := startPublisher(t, Options{Broker: "ssl://" + b.addr, InsecureSkipVerify: true, NodeID: "insecure"})
	insecure.waitLog(t, 0, slog.LevelWarn, "mqtt tls verification disabled")
	b.wait(t, 0, "onair/insecure/status", is("online"))
}

// testCA returns a CA certificate (PEM) and a server TLS config whose
// certificate it signed for 127.0.0.1.
func testCA(t *testing.T) ([]byte, *tls.Config) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "onair test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "broker"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: srvKey}}}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), cfg
}

func TestShutdownPublishesOfflineAndJoins(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	p := startPublisher(t, Options{Broker: b.addr})
	i, _ := b.wait(t, 0, "onair/pi/status", is("online"))
	start := time.Now()
	p.stop()
	d := time.Since(start)
	t.Logf("Run returned %v after cancel", d)
	if d > shutdownBound {
		t.Errorf("Run returned %v after cancel, want under %v", d, shutdownBound)
	}
	b.wait(t, i+1, "onair/pi/status", is("offline"))
	b.mustRetain(t, "onair/pi/status", "offline")
	p.waitLog(t, 0, slog.LevelInfo, "mqtt disconnected")
	if st := p.Status(); st.Connected {
		t.Errorf("Status after shutdown = %+v", st)
	}
	// Run returned only after its own goroutines ended; the paho client's
	// are exiting (Disconnect returns as they finish), so give them a
	// moment, as goleak does.
	if g := leftovers(); g != "" {
		t.Errorf("goroutines left behind:\n%s", g)
	}
	if err := p.Run(t.Context()); err == nil {
		t.Error("second Run succeeded")
	}
}

func TestSetUsersRemovesGhosts(t *testing.T) {
	b := startBroker(t, brokerOpts{})
	p := startPublisher(t, Options{Broker: b.addr})
	p.SetUsers([]string{"me", "jane@contoso.com"})
	p.Update(busyState("jane@contoso.com", "jane"))
	janeDev := "homeassistant/device/onair_pi_jane_contoso_com/config"
	b.wait(t, 0, janeDev, nil)
	b.wait(t, 0, "onair/pi/jane_contoso_com/state", nil)

	p.SetUsers([]string{"me"})
	for _, topic := range []string{janeDev, "onair/pi/jane_contoso_com/state", "onair/pi/jane_contoso_com/label"} {
		b.wait(t, 0, topic, is(""))
		if v, ok := b.retained(topic); ok {
			t.Errorf("%s still retained: %q", topic, v)
		}
	}
	b.mustRetain(t, "homeassistant/device/onair_pi_me/config", string(p.DiscoveryPayloads([]string{"me"})["homeassistant/device/onair_pi_me/config"]))
	p.stop()

	// A later run in components mode, configured without jane, removes the
	// device-mode configs the first run left behind, but not another
	// node's, and re-sends its own after the removal.
	b.publish(t, "homeassistant/device/onair_other_me/config", `{"o":{"name":"onair"},"availability":[{"topic":"onair/other/status"}]}`, true)
	from := b.msgs.len()
	p2 := startPublisher(t, Options{Broker: b.addr, Discovery: DiscoveryComponents})
	p2.SetUsers([]string{"me"})
	i, _ := b.wait(t, from, "homeassistant/device/onair_pi_me/config", is(""))
	j, _ := b.wait(t, from, "homeassistant/device/onair_pi/config", is(""))
	// Its own configs (same unique_ids) are sent after the removals, so HA
	// does not drop them as duplicates of the removed ones.
	b.wait(t, max(i, j)+1, "homeassistant/sensor/pi/onair_pi_me_availability/config", func(s string) bool { return s != "" })
	b.wait(t, max(i, j)+1, "homeassistant/select/pi/onair_pi_override/config", func(s string) bool { return s != "" })
	b.mustRetain(t, "homeassistant/device/onair_other_me/config", `{"o":{"name":"onair"},"availability":[{"topic":"onair/other/status"}]}`)
	for _, topic := range []string{"homeassistant/device/onair_pi_me/config", "homeassistant/device/onair_pi/config"} {
		if v, ok := b.retained(topic); ok {
			t.Errorf("%s still retained: %q", topic, v)
		}
	}
}

// leftovers returns the stacks of publisher or paho goroutines still alive,
// retrying for up to 2 s while some are only finishing.
func leftovers() string {
	deadline := time.Now().Add(2 * time.Second)
	for {
		buf := make([]byte, 1<<20)
		var left []string
		for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			if (strings.Contains(g, "daemon/output/mqtt.(*Publisher)") || strings.Contains(g, "eclipse/paho")) && !strings.Contains(g, "leftovers") {
				left = append(left, g)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return strings.Join(left, "\n\n")
		}
		runtime.Gosched()
	}
}

// TestShutdownWhileConnectHangs: a broker that accepts the TCP connection
// but never answers CONNECT must not hold the daemon's exit for the whole
// connect timeout.
func TestShutdownWhileConnectHangs(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold it open, say nothing
		}
	}()
	p, err := New(Options{Broker: "tcp://" + ln.Addr().String(), NodeID: "hang", Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	time.Sleep(300 * time.Millisecond) // let the connect attempt start
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil on shutdown", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Run still waiting for a connect that never completes, 3 s after shutdown")
	}
}

// shutdownBound is how long Run may take to return after cancel: the daemon's
// stop (service managers, Ctrl-C) must not hang on a slow broker.
const shutdownBound = 1500 * time.Millisecond

// TestShutdownWithSlowBroker: a broker that never acknowledges a publish
// still gets "offline", and Run returns promptly rather than waiting out the
// acks.
func TestShutdownWithSlowBroker(t *testing.T) {
	b := startSlowBroker(t, false)
	p := startPublisher(t, Options{Broker: "tcp://" + b.addr(), Timeout: 10 * time.Second})
	i, _ := b.msgs.wait(t, 0, "online", func(m msg) bool { return m.topic == "onair/pi/status" && m.payload == "online" })
	start := time.Now()
	p.stop()
	d := time.Since(start)
	t.Logf("Run returned %v after cancel", d)
	if d > shutdownBound {
		t.Errorf("Run returned %v after cancel, want under %v", d, shutdownBound)
	}
	b.msgs.wait(t, i+1, "offline", func(m msg) bool { return m.topic == "onair/pi/status" && m.payload == "offline" && m.retain })
}

// TestShutdownWhileSubscribeHangs: a broker that accepts the connection but
// never answers SUBSCRIBE must not hold the daemon's exit for the timeout.
func TestShutdownWhileSubscribeHangs(t *testing.T) {
	b := startSlowBroker(t, true)
	p := startPublisher(t, Options{Broker: "tcp://" + b.addr(), Timeout: 10 * time.Second})
	select {
	case <-b.subscribed:
	case <-time.After(waitTimeout):
		t.Fatal("no SUBSCRIBE")
	}
	start := time.Now()
	p.stop()
	d := time.Since(start)
	t.Logf("Run returned %v after cancel", d)
	if d > shutdownBound {
		t.Errorf("Run returned %v after cancel, want under %v", d, shutdownBound)
	}
}

// TestOneMessagePerUserChange: a user's change is one retained JSON message
// (Home Assistant's entities read it with value templates); the plain
// topics come only with PlainTopics, and an unchanged user sends nothing.
func TestOneMessagePerUserChange(t *testing.T) {
	for _, plain := range []bool{false, true} {
		p, err := New(Options{Broker: "tcp://broker", NodeID: "pi", PlainTopics: plain})
		if err != nil {
			t.Fatal(err)
		}
		p.SetUsers([]string{"me", "jane@contoso.com"})
		p.Update(busyState("jane@contoso.com", "Away"))
		drainTopics(p)
		p.Update(busyState("me", "On a call"))
		p.Update(busyState("jane@contoso.com", "Away")) // unchanged
		got := drainTopics(p)
		want := []string{"onair/pi/me/state"}
		if plain {
			want = append(want, "onair/pi/me/activity", "onair/pi/me/availability", "onair/pi/me/color", "onair/pi/me/label")
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("plain topics %v: a change sent %v, want %v", plain, got, want)
		}
	}
}

func drainTopics(p *Publisher) []string {
	var topics []string
	for _, m := range p.takeDirty() {
		topics = append(topics, m.topic)
	}
	slices.Sort(topics)
	return topics
}

// TestOutputPublishesOnlyChangedUsers: of a snapshot, the output hands the
// publisher only the users whose view changed since the last one it showed;
// a resend sends everybody again.
func TestOutputPublishesOnlyChangedUsers(t *testing.T) {
	keys, busy, free := scaleSnapshots(3)
	o, err := NewOutput(Options{Broker: "tcp://broker", NodeID: "pi"}, keys)
	if err != nil {
		t.Fatal(err)
	}
	o.p.SetUsers(keys)
	o.show(busy)
	drainTopics(o.p)
	next := *busy
	next.Users = slices.Clone(busy.Users)
	next.Users[1] = free.Users[1]
	o.show(&next)
	if got, want := drainTopics(o.p), []string{o.p.UserTopic(keys[1], "state")}; !slices.Equal(got, want) {
		t.Errorf("one user changed: sent %v, want %v", got, want)
	}
	o.show(&next)
	if got := drainTopics(o.p); len(got) != 0 {
		t.Errorf("nothing changed: sent %v", got)
	}
	resend := next
	resend.Resend = true
	o.show(&resend)
	// The publisher sends a payload only when it differs from the retained
	// one; what a resend asks for is that every user is looked at again.
	if got := drainTopics(o.p); len(got) != 0 {
		t.Errorf("resend of an unchanged picture: sent %v", got)
	}
}

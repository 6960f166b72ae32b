package mqtt

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/onair-dev/onair/daemon/secret"
)

func TestParseBroker(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "tcp://broker:1883", want: "tcp://broker:1883"},
		{in: "tcp://broker", want: "tcp://broker:1883"},
		{in: "mqtt://broker", want: "tcp://broker:1883"},
		{in: "broker", want: "tcp://broker:1883"},
		{in: "broker:1884", want: "tcp://broker:1884"},
		{in: "ssl://broker", want: "ssl://broker:8883"},
		{in: "mqtts://broker", want: "ssl://broker:8883"},
		{in: "tls://broker:9999", want: "ssl://broker:9999"},
		{in: "ws://broker/mqtt", want: "ws://broker:80/mqtt"},
		{in: "wss://broker", want: "wss://broker:443"},
		{in: "tcp://[::1]", want: "tcp://[::1]:1883"},
		{in: "TCP://Broker", want: "tcp://Broker:1883"},
		{in: "", err: "broker is required"},
		{in: "http://broker", err: `unsupported scheme "http"`},
		{in: "tcp://", err: "no host"},
		{in: "tcp://broker:0", err: "port"},
		{in: "tcp://broker:99999", err: "port"},
		{in: "tcp://broker:abc", err: "invalid broker"},
		{in: "tcp://u:secret@broker", err: "not in the URL"},
		{in: "tcp://broker/path", err: "path"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			u, err := parseBroker(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("parseBroker(%q) error = %v, want containing %q", tt.in, err, tt.err)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Errorf("error leaks the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseBroker(%q): %v", tt.in, err)
			}
			if got := u.String(); got != tt.want {
				t.Errorf("parseBroker(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		err  string
	}{
		{"bad broker", Options{Broker: "http://x"}, "broker: invalid broker"},
		{"bad discovery", Options{Broker: "x", Discovery: "some"}, "discovery: invalid mode"},
		{"wildcard prefix", Options{Broker: "x", TopicPrefix: "a/+"}, "topic_prefix"},
		{"tls on tcp", Options{Broker: "tcp://x", CAFile: "ca.pem"}, "not ssl://"},
		{"missing ca", Options{Broker: "ssl://x", CAFile: "testdata/does-not-exist.pem"}, "read ca_file"},
		{"cert without key", Options{Broker: "ssl://x", CertFile: "c.pem"}, "set together"},
		{"sign without topic", Options{Broker: "x", Signs: []Sign{{Name: "door", User: "me"}}}, "signs[0].topic: required"},
		{"sign bad format", Options{Broker: "x", Signs: []Sign{{Name: "door", User: "me", Topic: "d", Format: "xml"}}}, "signs[0].format"},
		{"sign duplicate", Options{Broker: "x", Signs: []Sign{{Name: "a", User: "me", Topic: "d"}, {Name: "a", User: "me", Topic: "d"}}}, "duplicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("New() error = %v, want containing %q", err, tt.err)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	p, err := New(Options{Broker: "localhost", NodeID: "Jane's MacBook.local"})
	if err != nil {
		t.Fatal(err)
	}
	o := p.Options()
	if o.NodeID != "jane_s_macbook_local" {
		t.Errorf("NodeID = %q", o.NodeID)
	}
	if o.ClientID != "onair-jane_s_macbook_local" {
		t.Errorf("ClientID = %q", o.ClientID)
	}
	if o.TopicPrefix != "onair" || o.DiscoveryPrefix != "homeassistant" || o.Discovery != DiscoveryDevice {
		t.Errorf("defaults = %q %q %q", o.TopicPrefix, o.DiscoveryPrefix, o.Discovery)
	}
	if p.StatusTopic() != "onair/jane_s_macbook_local/status" {
		t.Errorf("StatusTopic = %q", p.StatusTopic())
	}
	d := DefaultOptions()
	if d.NodeID == "" || d.ClientID != "onair-"+d.NodeID || d.Timeout != DefaultTimeout {
		t.Errorf("DefaultOptions = %+v", d)
	}
	if p.births[0] != "homeassistant/status" || len(p.births) != 1 {
		t.Errorf("births = %q", p.births)
	}
	p2, err := New(Options{Broker: "localhost", DiscoveryPrefix: "ha"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(p2.births, ",") != "ha/status,homeassistant/status" {
		t.Errorf("births with custom prefix = %q", p2.births)
	}
}

// TestPasswordRedacted: options printed or logged never show the password
// (the Secret type's own test covers every verb and encoder).
func TestPasswordRedacted(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	opts := Options{Broker: "x", Password: secret.New("hunter2")}
	log.Info("x", "options", opts)
	out := buf.String() + fmt.Sprintf("%v %+v %#v", opts, opts, opts)
	if strings.Contains(out, "hunter2") {
		t.Fatalf("secret leaked: %s", out)
	}
	if !strings.Contains(out, "REDACTED") {
		t.Fatalf("no REDACTED in %s", out)
	}
}

func TestSlug(t *testing.T) {
	tests := map[string]string{
		"jane.doe@contoso.com":                 "jane_doe_contoso_com",
		"Jane.Doe@Contoso.com":                 "jane_doe_contoso_com",
		"me":                                   "me",
		"  me ":                                "me",
		"a--b__c":                              "a_b_c",
		"1b2c3d4e-0000-1111-2222-333344445555": "1b2c3d4e_0000_1111_2222_333344445555",
		"josé@x.fr":                            "jos_x_fr",
	}
	for in, want := range tests {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
	a, b := Slug("@@"), Slug("..")
	if !strings.HasPrefix(a, "user_") || a == b || a != Slug("@@") {
		t.Errorf("Slug of symbols: %q %q", a, b)
	}
}

func TestSnakeStates(t *testing.T) {
	tests := map[string]string{
		"DoNotDisturb":            "do_not_disturb",
		"InACall":                 "in_a_call",
		"InAConferenceCall":       "in_a_conference_call",
		"InAMeeting":              "in_a_meeting",
		"PresenceUnknown":         "presence_unknown",
		"UrgentInterruptionsOnly": "urgent_interruptions_only",
		"Available":               "available",
		"OffWork":                 "off_work",
	}
	for in, want := range tests {
		if got := snake(in); got != want {
			t.Errorf("snake(%q) = %q, want %q", in, got, want)
		}
	}
	if got := AvailabilityState("doNotDisturb"); got != "do_not_disturb" {
		t.Errorf("AvailabilityState(doNotDisturb) = %q", got)
	}
	if got := AvailabilityState("AvailableInactive"); got != Unknown {
		t.Errorf("AvailabilityState(AvailableInactive) = %q", got)
	}
	if got := ActivityState(""); got != Unknown {
		t.Errorf("ActivityState(\"\") = %q", got)
	}
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// broker is a mosquitto started for one run, or an external broker.
type broker struct {
	url     string
	version string
	proc    *process
}

// startMosquitto starts mosquitto on a free loopback port with a config in
// dir. Queue limits are lifted so that a burst of 10,000 users' states is
// delivered, not dropped (mosquitto.conf(5): max_queued_messages,
// max_inflight_messages; 0 means no limit).
func startMosquitto(ctx context.Context, bin, dir string) (*broker, error) {
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("mosquitto"); err != nil {
			bin = "/usr/sbin/mosquitto" // Debian installs it outside a user's PATH
			if _, err := os.Stat(bin); err != nil {
				return nil, errors.New("mosquitto not found: install it (apt-get install -y mosquitto) or pass -broker tcp://host:port")
			}
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	conf := filepath.Join(dir, "mosquitto.conf")
	text := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\nmax_inflight_messages 0\nlog_dest stderr\nlog_type error\nlog_type warning\n", port)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		return nil, err
	}
	out, _ := exec.CommandContext(ctx, bin, "-h").CombinedOutput() // exits 3 after printing its version
	version, _, _ := strings.Cut(string(out), "\n")
	p, err := start("mosquitto", bin, []string{"-c", conf}, os.Environ(), filepath.Join(dir, "mosquitto.stderr"))
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if a := p.alive(); a != nil {
			return nil, a
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("mosquitto did not listen on %s: %w", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &broker{url: "tcp://" + addr, version: strings.TrimSpace(version), proc: p}, nil
}

func (b *broker) stop() {
	if b.proc != nil {
		b.proc.stop()
	}
}

// subscriber follows every user's retained state topic
// (<prefix>/<node>/<user slug>/state, JSON with an "activity" field) and
// tells when all users show one activity.
type subscriber struct {
	c     paho.Client
	users int

	mu       sync.Mutex
	activity map[string]string // topic → activity
	target   string
	count    int // users whose activity is target
	messages int
	reached  chan time.Time // gets the time count reached users
	lastAt   time.Time
}

// clients numbers this process's MQTT clients: a broker drops a client
// when another connects with its ID.
var clients atomic.Int64

func newSubscriber(ctx context.Context, url, topic string, users int) (*subscriber, error) {
	s := &subscriber{users: users, activity: map[string]string{}, reached: make(chan time.Time, 1)}
	opts := paho.NewClientOptions().AddBroker(url).SetClientID(fmt.Sprintf("onair-bench-%d-%d", os.Getpid(), clients.Add(1))).
		SetCleanSession(true).SetAutoReconnect(false).SetOrderMatters(true)
	s.c = paho.NewClient(opts)
	if err := wait(ctx, s.c.Connect()); err != nil {
		return nil, fmt.Errorf("subscriber: connect to %s: %w", url, err)
	}
	// QoS 1, as onair publishes: the broker does not drop these for a slow
	// subscriber.
	if err := wait(ctx, s.c.Subscribe(topic, 1, s.onMessage)); err != nil {
		s.c.Disconnect(0)
		return nil, fmt.Errorf("subscriber: subscribe %s: %w", topic, err)
	}
	return s, nil
}

func wait(ctx context.Context, t paho.Token) error {
	select {
	case <-t.Done():
		return t.Error()
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(30 * time.Second):
		return errors.New("timed out")
	}
}

func (s *subscriber) onMessage(_ paho.Client, m paho.Message) {
	now := time.Now()
	// What Teams says is under "teams" (the top level is the shown
	// signal); a bare "activity" is read too, for other publishers.
	var st struct {
		Activity string `json:"activity"`
		Teams    struct {
			Activity string `json:"activity"`
		} `json:"teams"`
	}
	_ = json.Unmarshal(m.Payload(), &st) // an empty (cleared) payload counts as no activity
	if st.Teams.Activity != "" {
		st.Activity = st.Teams.Activity
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages++
	s.lastAt = now
	prev, seen := s.activity[m.Topic()]
	s.activity[m.Topic()] = st.Activity
	switch {
	case st.Activity == s.target && (!seen || prev != s.target):
		s.count++
		if s.count == s.users {
			select {
			case s.reached <- now:
			default:
			}
		}
	case seen && prev == s.target && st.Activity != s.target:
		s.count--
	}
}

// expect sets the activity to wait for and returns a channel that gets the
// time of the message that completes it (at once if all users already show
// it).
func (s *subscriber) expect(activity string) <-chan time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.target = activity
	s.count = 0
	for _, a := range s.activity {
		if a == activity {
			s.count++
		}
	}
	s.reached = make(chan time.Time, 1)
	if s.count >= s.users {
		s.reached <- time.Now()
	}
	return s.reached
}

// stats returns the messages received and the time of the last one.
func (s *subscriber) stats() (int, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.messages, s.lastAt
}

func (s *subscriber) close() { s.c.Disconnect(100) }

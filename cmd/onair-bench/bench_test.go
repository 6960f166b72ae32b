package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestGrowthBeyondNoise(t *testing.T) {
	flat := func(v float64, n int) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = v
		}
		return s
	}
	ramp := func(from, to float64, n int) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = from + (to-from)*float64(i)/float64(n-1)
		}
		return s
	}
	spike := flat(20, 40)
	spike[38] = 90 // one slow poll near the end
	warm := append(ramp(5, 20, 10), flat(20, 30)...)
	// CPU per poll with and without a GC cycle: more GC-laden polls in the
	// last quarter (6 of 10) than in the second (4 of 10).
	bimodal := flat(7, 40)
	for _, i := range []int{10, 12, 14, 16, 30, 31, 32, 34, 36, 38} {
		bimodal[i] = 14
	}
	for _, c := range []struct {
		name   string
		values []float64
		rel    float64
		abs    float64
		fail   bool
		mean   bool
	}{
		{"flat", flat(20, 40), 0.10, 2, false, false},
		{"RSS 20 → 30 MiB", ramp(20, 30, 40), 0.10, 2, true, false},
		{"relative growth, absolute noise", ramp(2, 3, 40), 0.10, 2, false, false},
		{"absolute growth, relative noise", ramp(100, 104, 40), 0.10, 2, false, false},
		{"one slow poll", spike, 0.25, 2, false, false},
		{"warm-up in the first quarter", warm, 0.10, 2, false, false},
		{"shrinking", ramp(30, 20, 40), 0.10, 2, false, false},
		{"bimodal CPU, medians flip", bimodal, 0.40, 2, true, false},
		{"bimodal CPU, means", bimodal, 0.40, 2, false, true},
		{"CPU 8 → 20 ms, means", ramp(8, 20, 40), 0.40, 2, true, true},
	} {
		g := growth{name: c.name, values: c.values, rel: c.rel, abs: c.abs, mean: c.mean}
		if got := g.failed(); got != c.fail {
			q2, q4 := g.quarters()
			t.Errorf("%s: failed = %v, want %v (Q2 %.2f, Q4 %.2f)", c.name, got, c.fail, q2, q4)
		}
	}
}

func TestFindNumber(t *testing.T) {
	for _, c := range []struct {
		v    any
		want int
		ok   bool
	}{
		{map[string]any{"goroutines": 12.0}, 12, true},
		{map[string]any{"runtime": map[string]any{"Goroutines": 40.0}}, 40, true},
		{map[string]any{"outputs": []any{map[string]any{"goroutines": 3.0}}}, 3, true},
		{map[string]any{"goroutines": "many"}, -1, false},
		{map[string]any{"health": map[string]any{"state": "ok"}}, -1, false},
	} {
		got, ok := findNumber(c.v, "goroutines")
		if got != c.want || ok != c.ok {
			t.Errorf("findNumber(%v) = %d, %v; want %d, %v", c.v, got, ok, c.want, c.ok)
		}
	}
}

func TestEventsWait(t *testing.T) {
	l := newEvents()
	l.add(event{name: "/me/presence", status: 200})
	added := make(chan struct{})
	go func() {
		l.add(event{name: "/communications/getPresencesByUserId", status: 200})
		l.add(event{name: "/me/presence", status: 429})
		l.add(event{name: "/me/presence", status: 200})
		close(added)
	}()
	i, e, err := l.wait(t.Context(), 1, isMe)
	if err != nil {
		t.Fatal(err)
	}
	<-added
	if i != 3 || e.status != 200 {
		t.Errorf("wait = %d %+v, want the successful /me at index 3", i, e)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := l.wait(ctx, 4, isMe); err == nil {
		t.Error("wait past the end with a cancelled context returned no error")
	}
	if got := len(l.since(2)); got != 2 {
		t.Errorf("since(2) has %d events, want 2", got)
	}
}

// requireMosquitto returns mosquitto's path, or skips (fails with
// ONAIR_REQUIRE_TOOLS=1, as CI sets) when it is not installed.
func requireMosquitto(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"mosquitto", "/usr/sbin/mosquitto"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	msg := "mosquitto not found: install it (apt-get install -y mosquitto) to run this test"
	if os.Getenv("ONAIR_REQUIRE_TOOLS") == "1" {
		t.Fatal(msg + "; ONAIR_REQUIRE_TOOLS=1 makes this a failure")
	}
	t.Skip(msg)
	return ""
}

func TestSubscriberSeesEveryUser(t *testing.T) {
	b, err := startMosquitto(t.Context(), requireMosquitto(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.stop()
	sub, err := newSubscriber(t.Context(), b.url, "onair/test/+/state", 3)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.close()
	pub, err := newSubscriber(t.Context(), b.url, "unused/topic", 0) // a second client to publish with
	if err != nil {
		t.Fatal(err)
	}
	defer pub.close()
	publish := func(user, activity string) {
		t.Helper()
		if err := wait(t.Context(), pub.c.Publish("onair/test/"+user+"/state", 1, true, fmt.Sprintf(`{"activity":%q}`, activity))); err != nil {
			t.Fatal(err)
		}
	}
	reached := sub.expect("in_a_call")
	publish("me", "in_a_call")
	publish("lee", "in_a_call")
	publish("adele", "available")
	publish("lee", "available") // back: two of three again
	publish("lee", "in_a_call")
	publish("adele", "in_a_call")
	select {
	case <-reached:
	case <-time.After(30 * time.Second):
		n, _ := sub.stats()
		t.Fatalf("never saw all three users in a call (%d messages)", n)
	}
	if n, _ := sub.stats(); n != 6 {
		t.Errorf("messages = %d, want 6", n)
	}
	// Everyone already shows it: expect reports at once.
	select {
	case <-sub.expect("in_a_call"):
	default:
		t.Error("expect of the current state did not report at once")
	}
}

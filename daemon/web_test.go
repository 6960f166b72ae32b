package daemon

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/onair-dev/onair/daemon/config"
)

// TestWebOutputServesDaemonStatus: with web.enabled the daemon adds the web
// output, and its /api/v1/state is the daemon's own status document (the
// one `onair status --json` prints), not a copy built from the snapshot.
func TestWebOutputServesDaemonStatus(t *testing.T) {
	cfg, err := config.Parse([]byte("version: 1\nweb:\n  enabled: true\n  listen: 127.0.0.1:0\n"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(Options{Config: cfg, Demo: true, NoLights: true, NoControl: true, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() { cancel(); <-done }()

	// The output says where it listens once it does: that is the event
	// to wait for (bounded; a failure to listen shows as "error").
	var base string
	deadline := time.Now().Add(10 * time.Second)
	for base == "" {
		for _, o := range d.Outputs() {
			if o.Kind == "web" && o.State == "listening" {
				base, _, _ = strings.Cut(o.Detail, " ")
			}
			if o.Kind == "web" && o.State == "error" {
				t.Fatalf("web output: %s", o.Detail)
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("web output did not listen within 10 s")
		}
		if base == "" {
			time.Sleep(10 * time.Millisecond) // polling the output's state: no event exists for it
		}
	}
	resp, err := http.Get(strings.TrimSuffix(base, "/") + "/api/v1/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if st.Mode != "demo" || st.Version != "test" {
		t.Errorf("state: mode %q version %q, want the daemon's status (demo, test)", st.Mode, st.Version)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", resp.Header.Get("Cache-Control"))
	}
}

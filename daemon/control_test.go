package daemon

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/onair-dev/onair/daemon/config"
	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/mapping"
)

func TestControlAPI(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix socket test")
	}
	dir, err := os.MkdirTemp("", "onair")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "onair.sock")
	c := NewClient(sock)

	_, err = c.Status(t.Context())
	if !errors.Is(err, ErrNotRunning) || !strings.Contains(err.Error(), "onair run") {
		t.Fatalf("Status with no daemon = %v, want ErrNotRunning saying how to start it", err)
	}

	src := &scriptSource{}
	src.set(mapping.AvailabilityBusy, mapping.ActivityInAMeeting)
	cfg, _ := config.Parse([]byte("version: 1\n"))
	n := &notifier{c: make(chan *output.Snapshot, 16)}
	d, err := New(Options{Config: cfg, Paths: config.Paths{Socket: sock}, source: src, NoLights: true, Version: "test", outputs: []output.Output{n}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	n.waitFor(t, 5*time.Second, "first signal", signalIs("in-a-meeting"))

	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode = %v, want 0600", fi.Mode().Perm())
	}

	st, err := c.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.Version != "test" || st.Health.State != "ok" || len(st.Users) != 1 || st.Users[0].Rule != "in-a-meeting" || st.Users[0].Color != "#ff0000" {
		t.Errorf("status = %+v", st)
	}

	st, err = c.SetOverride(t.Context(), OverrideRequest{Status: "available", For: "10m"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Override == nil || st.Override.Availability != mapping.AvailabilityAvailable || st.Override.Source != "cli" {
		t.Errorf("override in status = %+v", st.Override)
	}
	n.waitFor(t, 5*time.Second, "override signal", signalIs("override(available)"))

	if _, err := c.SetOverride(t.Context(), OverrideRequest{Status: "sleepy"}); err == nil || !strings.Contains(err.Error(), `"sleepy" is not a presence or a colour`) {
		t.Errorf("bad override error = %v", err)
	}
	if st, _ := c.Status(t.Context()); st.Override == nil {
		t.Error("a bad override removed the good one")
	}

	if _, err := c.Pause(t.Context(), "5m"); err != nil {
		t.Fatal(err)
	}
	n.waitFor(t, 5*time.Second, "paused signal", signalIs("paused"))
	if _, err := c.Pause(t.Context(), "later"); err == nil {
		t.Error("pause with a bad duration accepted")
	}
	if _, err := c.Resume(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ClearOverride(t.Context()); err != nil {
		t.Fatal(err)
	}
	n.waitFor(t, 5*time.Second, "signal after clear", signalIs("in-a-meeting"))
	if err := c.PollNow(t.Context()); err != nil {
		t.Fatal(err)
	}

	// A second daemon on the same socket refuses to start.
	d2, _ := New(Options{Config: cfg, Paths: config.Paths{Socket: sock}, source: src, NoLights: true})
	if err := d2.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second daemon: %v, want already running", err)
	}

	cancel()
	<-done
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left behind after shutdown: %v", err)
	}
}

func TestControlPermissionDeniedIsNotNotRunning(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("needs a Unix user that permissions apply to (not root)")
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "sub", "onair.sock")
	os.MkdirAll(filepath.Dir(sock), 0o700)
	os.WriteFile(sock, nil, 0o600)
	os.Chmod(filepath.Dir(sock), 0o000)
	defer os.Chmod(filepath.Dir(sock), 0o700)
	_, err := NewClient(sock).Status(t.Context())
	if errors.Is(err, ErrNotRunning) || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("Status on an unreadable socket = %v, want permission denied, not 'not running'", err)
	}
}

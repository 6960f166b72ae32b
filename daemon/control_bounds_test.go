//go:build !windows

package daemon

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onair-dev/onair/daemon/config"
	"github.com/onair-dev/onair/mapping"
)

// The control API bounds what a client can hold: a body above the limit is
// answered 413, and an idle keep-alive connection is closed.
func TestControlAPIBounds(t *testing.T) {
	old := controlIdleTimeout
	controlIdleTimeout = 200 * time.Millisecond
	t.Cleanup(func() { controlIdleTimeout = old })
	dir, err := os.MkdirTemp("", "onair")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "onair.sock")
	src := &scriptSource{}
	src.set(mapping.AvailabilityAvailable, mapping.ActivityAvailable)
	cfg, _ := config.Parse([]byte("version: 1\n"))
	d, err := New(Options{Config: cfg, Paths: config.Paths{Socket: sock}, source: src, NoLights: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	// Wait for the socket through the client: the daemon answering is the
	// event.
	c := NewClient(sock)
	for {
		if _, err := c.Status(t.Context()); err == nil {
			break
		} else if !errors.Is(err, ErrNotRunning) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}

	conn, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	body := `{"status":"busy","label":"` + strings.Repeat("x", maxControlBody) + `"}`
	req, _ := http.NewRequest(http.MethodPost, "http://onair/v1/override", strings.NewReader(body))
	if err := req.Write(conn); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(msg), "request too large") {
		t.Errorf("oversized body: %s %s, want 413 request too large", resp.Status, msg)
	}
	if st, _ := c.Status(t.Context()); st.Override != nil {
		t.Errorf("an oversized request set an override: %+v", st.Override)
	}

	// A fresh keep-alive connection, one request, then idle: the server
	// closes it after the idle timeout.
	conn2, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	br2 := bufio.NewReader(conn2)
	req2, _ := http.NewRequest(http.MethodGet, "http://onair/v1/status", nil)
	req2.Write(conn2)
	resp2, err := http.ReadResponse(br2, req2)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp2.Body)
	resp2.Body.Close()
	idleFrom := time.Now()
	conn2.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := br2.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("idle keep-alive connection: read %v, want EOF (closed by the server)", err)
	}
	if idle := time.Since(idleFrom); idle > 5*time.Second {
		t.Errorf("idle connection closed after %v", idle)
	}
}

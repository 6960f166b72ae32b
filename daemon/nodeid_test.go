package daemon

import (
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/onair-dev/onair/daemon/config"
)

func TestDefaultNodeIDIsSavedAndMigratesOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	log := slog.New(slog.DiscardHandler)
	host := hostNodeID()
	id, former := defaultNodeID(dir, log)
	if !regexp.MustCompile("^" + regexp.QuoteMeta(host) + "-[0-9a-f]{4}$").MatchString(id) {
		t.Errorf("node ID = %q, want %s-<4 hex digits>", id, host)
	}
	if former != host {
		t.Errorf("former = %q, want the bare host name %q to migrate from", former, host)
	}
	again, former2 := defaultNodeID(dir, log)
	if again != id || former2 != "" {
		t.Errorf("second start: %q, former %q; want %q and no migration", again, former2, id)
	}
	b, _ := os.ReadFile(filepath.Join(dir, nodeIDFile))
	if strings.TrimSpace(string(b)) != id {
		t.Errorf("saved %q, want %q", b, id)
	}
}

func TestUnsavableNodeIDFallsBackToTheHostName(t *testing.T) {
	// A file where the state directory should be: nothing can be saved,
	// for root too.
	dir := filepath.Join(t.TempDir(), "state")
	os.WriteFile(dir, nil, 0o600)
	id, former := defaultNodeID(dir, slog.New(slog.DiscardHandler))
	if id != hostNodeID() || former != "" {
		t.Errorf("node ID = %q, former %q; want the host name and no migration", id, former)
	}
}

func TestExplicitNodeIDKept(t *testing.T) {
	c, _ := config.Parse([]byte("version: 1\nmqtt:\n  broker: tcp://localhost:1883\n  node_id: office\n"))
	d, err := New(Options{Config: c, NoControl: true, NoLights: true, Paths: config.Paths{TokenCache: filepath.Join(t.TempDir(), "t.json")}, source: &scriptSource{}})
	if err != nil {
		t.Fatal(err)
	}
	set := d.settings()
	if id, former := d.nodeID(set); id != "office" || former != "" {
		t.Errorf("nodeID = %q, %q; want office as given", id, former)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(d.opts.Paths.TokenCache), nodeIDFile)); err == nil {
		t.Error("a node ID file was written although mqtt.node_id is set")
	}
}

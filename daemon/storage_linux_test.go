//go:build linux

package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/onair-dev/onair/daemon/auth/entratest"
	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/mapping"
)

// readOnlyDir returns a state directory and a function that makes it
// read-only for real: a tmpfs remounted read-only as root (where mode bits
// stop nothing), mode 0500 otherwise.
func readOnlyDir(t *testing.T) (string, func()) {
	t.Helper()
	dir := t.TempDir()
	if os.Geteuid() != 0 {
		return dir, func() { os.Chmod(dir, 0o500); t.Cleanup(func() { os.Chmod(dir, 0o700) }) }
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=4m,mode=0700"); err != nil {
		t.Skipf("root, but cannot mount a tmpfs here (%v): mode bits do not stop root's writes", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir, func() {
		if err := syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
			t.Fatalf("remount read-only: %v", err)
		}
	}
}

// A token cache that cannot be written is a local storage condition with
// the auth package's remedy, while presence keeps flowing; never "Entra ID
// unavailable, check the network".
func TestReadOnlyStateDirIsAStorageCondition(t *testing.T) {
	// Access tokens live a minute, so every poll redeems the refresh token
	// and MSAL writes the cache.
	f := newFakeCloud(t, entratest.Options{AccessTokenLifetime: time.Minute})
	dir, breakDir := readOnlyDir(t)
	f.paths.TokenCache = filepath.Join(dir, "token-cache.json")
	cfg := f.config(t, "")
	f.login(t, cfg)
	d, n := f.run(t, cfg, nil)
	n.waitFor(t, 10*time.Second, "presence", signalIs("available"))

	breakDir()
	f.graph.SetPresence(f.me, "Busy", "InACall")
	d.PollNow()
	s := n.waitFor(t, 10*time.Second, "a storage condition", func(s *output.Snapshot) bool { return len(s.Conditions) > 0 })
	if len(s.Conditions) != 1 || !strings.HasPrefix(s.Conditions[0], "storage: token cache "+f.paths.TokenCache+" cannot be written") {
		t.Fatalf("conditions = %q, want one storage condition naming the cache", s.Conditions)
	}
	if !strings.Contains(s.Conditions[0], "tokens are kept in memory") {
		t.Errorf("condition lacks the auth package's remedy: %q", s.Conditions[0])
	}
	// Presence keeps flowing: the busy state arrives, health stays ok.
	s = n.waitFor(t, 10*time.Second, "presence after the failed write", signalIs("in-a-call"))
	if s.Health.State != mapping.StateNormal || strings.Contains(s.Health.Remedy, "network") {
		t.Errorf("health = %+v, want ok with no network remedy", s.Health)
	}
	st := d.Status(t.Context())
	if len(st.Health.Conditions) != 1 || strings.Contains(strings.Join(st.Health.Conditions, " "), "check the network") {
		t.Errorf("status conditions = %q", st.Health.Conditions)
	}
	if c := strings.Count(f.logs.String(), "token cache cannot be written"); c != 1 {
		t.Errorf("storage condition logged %d times, want once", c)
	}
}

//go:build !windows

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/onair-dev/onair/daemon"
)

// onairProcess starts this test binary as `onair` (TestMain runs main for
// that name) with its own home, runtime and config directories.
type onairProcess struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	client *daemon.Client
	sock   string
	done   chan error
}

func startOnair(t *testing.T, config string, args ...string) *onairProcess {
	t.Helper()
	p := prepareOnair(t, config, args...)
	p.start(t)
	return p
}

// prepareOnair is startOnair up to the start: p.cmd may still be changed.
func prepareOnair(t *testing.T, config string, args ...string) *onairProcess {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "onair")
	if err := os.Symlink(exe, bin); err != nil {
		t.Skipf("cannot link the test binary as onair: %v", err)
	}
	run := filepath.Join(dir, "run")
	os.MkdirAll(run, 0o700)
	cmd := exec.Command(bin, append([]string{"--config", config}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_RUNTIME_DIR="+run, "XDG_STATE_HOME="+filepath.Join(dir, "state"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"))
	p := &onairProcess{cmd: cmd, stderr: &bytes.Buffer{}, sock: filepath.Join(run, "onair.sock"), done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	p.client = daemon.NewClient(p.sock)
	return p
}

// start starts a prepared onair; the test's cleanup kills it.
func (p *onairProcess) start(t *testing.T) {
	t.Helper()
	cmd := p.cmd
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.done
		}
	})
}

// terminate sends onair SIGTERM, as a service manager stops it, and
// waits for it to exit with status 0. Its stderr is then complete.
func (p *onairProcess) terminate(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v, want 0\n%s", err, p.stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("onair did not exit within 10s of SIGTERM")
	}
}

// waitStatus asks the daemon for its status until ok says yes. The daemon
// is another process: its control API is the event to wait on.
func (p *onairProcess) waitStatus(t *testing.T, what string, ok func(daemon.Status) bool) daemon.Status {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var last daemon.Status
	var lastErr error
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			t.Fatalf("onair exited (%v) before %s:\n%s", err, what, p.stderr)
		default:
		}
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		last, lastErr = p.client.Status(ctx)
		cancel()
		if lastErr == nil && ok(last) {
			return last
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %s within 15s: last status %+v, %v\n%s", what, last, lastErr, p.stderr)
	return last
}

func ruleConfig(colour string) string {
	return fmt.Sprintf("version: 1\nmapping:\n  rules:\n    - name: desk\n      availability: busy\n      color: '%s'\n", colour)
}

// TestSIGHUPReloadsAndSIGTERMExitsCleanly: under a service manager (stdin
// not a terminal) SIGHUP reloads the config without a restart, keeping the
// override; a broken file keeps the old colour and status names its line;
// SIGTERM runs the clean exit path.
func TestSIGHUPReloadsAndSIGTERMExitsCleanly(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte(ruleConfig("#0000ff")), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startOnair(t, cfg, "run", "--demo", "--quiet", "--no-lights")
	p.waitStatus(t, "a running daemon", func(daemon.Status) bool { return true })
	if _, err := p.client.SetOverride(t.Context(), daemon.OverrideRequest{Status: "busy"}); err != nil {
		t.Fatal(err)
	}
	colour := func(c string) func(daemon.Status) bool {
		return func(st daemon.Status) bool { return st.Override != nil && st.Users[0].Color == c }
	}
	p.waitStatus(t, "blue for the busy override", colour("#0000ff"))
	pid := p.cmd.Process.Pid

	os.WriteFile(cfg, []byte(ruleConfig("#ff00ff")), 0o600)
	p.cmd.Process.Signal(syscall.SIGHUP)
	st := p.waitStatus(t, "magenta after SIGHUP", colour("#ff00ff"))
	if st.Users[0].Rule != "override(desk)" {
		t.Errorf("rule after reload = %q, want the override kept", st.Users[0].Rule)
	}
	if p.cmd.Process.Pid != pid || p.cmd.ProcessState != nil {
		t.Fatal("the daemon restarted")
	}

	os.WriteFile(cfg, []byte(ruleConfig("#zzzzzz")), 0o600)
	p.cmd.Process.Signal(syscall.SIGHUP)
	st = p.waitStatus(t, "a reload-failed condition", func(st daemon.Status) bool { return len(st.Health.Conditions) > 0 })
	if !strings.Contains(st.Health.Conditions[0], "config: reload failed") || !strings.Contains(st.Health.Conditions[0], cfg+":6: mapping.rules[0].color") {
		t.Errorf("condition = %q, want the failed reload at line 6", st.Health.Conditions)
	}
	if st.Users[0].Color != "#ff00ff" {
		t.Errorf("a broken config changed the colour to %s", st.Users[0].Color)
	}

	// `onair reload` says the same, with the line, and exits 1.
	t.Setenv("XDG_RUNTIME_DIR", filepath.Dir(p.sock))
	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"--config", cfg, "reload"}, &out, &errb); code != exitFailure || !strings.Contains(errb.String(), cfg+":6: mapping.rules[0].color") || !strings.Contains(errb.String(), "keeps running on its previous config") {
		t.Errorf("onair reload of a broken file: exit %d, stderr %q", code, errb.String())
	}
	os.WriteFile(cfg, []byte(ruleConfig("#00ffff")), 0o600)
	out.Reset()
	errb.Reset()
	if code := run(t.Context(), []string{"--config", cfg, "reload"}, &out, &errb); code != exitOK || !strings.Contains(out.String(), "changed rules") {
		t.Errorf("onair reload of a fixed file: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
	if st, _ := p.client.Status(t.Context()); len(st.Health.Conditions) != 0 || st.Users[0].Color != "#00ffff" {
		t.Errorf("after a good reload: conditions %q, colour %s", st.Health.Conditions, st.Users[0].Color)
	}

	p.terminate(t)
	if !strings.Contains(p.stderr.String(), "onair stopped") {
		t.Errorf("no \"onair stopped\" in the log:\n%s", p.stderr)
	}
	if _, err := os.Stat(p.sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left behind: %v", err)
	}
}

package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/onair-dev/onair/daemon"
	"golang.org/x/sys/unix"
)

// startRun starts `onair run --demo` (startOnair) from a thread whose timer
// slack is slack (0: the default), as systemd's TimerSlackNSec= would, and
// waits for its control API. It returns the PID and whether onair executed
// itself again.
func startRun(t *testing.T, slack uintptr) (pid int, reexecuted bool) {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte(ruleConfig("#0000ff")), 0o600); err != nil {
		t.Fatal(err)
	}
	p := prepareOnair(t, cfg, "run", "--demo", "--quiet", "--no-lights")
	// A child starts with the slack of the thread that forks it.
	runtime.LockOSThread()
	if slack != 0 {
		if err := unix.Prctl(unix.PR_SET_TIMERSLACK, slack, 0, 0, 0); err != nil {
			runtime.UnlockOSThread()
			t.Fatal(err)
		}
	}
	p.start(t)
	if slack != 0 {
		unix.Prctl(unix.PR_SET_TIMERSLACK, 0, 0, 0, 0) // back to the default
	}
	runtime.UnlockOSThread()
	p.waitStatus(t, "the control API", func(daemon.Status) bool { return true })
	pid = p.cmd.Process.Pid
	environ, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		t.Fatal(err)
	}
	return pid, strings.Contains(string(environ), slackExecEnv+"=1")
}

// threadSlacks returns the timer slack of every thread of pid.
func threadSlacks(t *testing.T, pid int) map[string]string {
	t.Helper()
	tasks, err := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*")
	if err != nil || len(tasks) == 0 {
		t.Fatalf("threads of %d: %v", pid, err)
	}
	out := map[string]string{}
	for _, task := range tasks {
		tid := filepath.Base(task)
		b, err := os.ReadFile("/proc/" + tid + "/timerslack_ns")
		if err != nil {
			t.Fatal(err)
		}
		out[tid] = strings.TrimSpace(string(b))
	}
	return out
}

// `onair run` gives all its threads timerSlack: it sets the slack of the
// thread it runs on and executes itself again, in the same process.
func TestRunRaisesTimerSlack(t *testing.T) {
	pid, reexecuted := startRun(t, 0)
	if !reexecuted {
		t.Errorf("onair run did not execute itself again (no %s in its environment)", slackExecEnv)
	}
	want := strconv.FormatInt(int64(timerSlack), 10)
	for tid, got := range threadSlacks(t, pid) {
		if got != want {
			t.Errorf("thread %s: timer slack %s ns, want %s", tid, got, want)
		}
	}
}

// Started with that slack already (systemd's TimerSlackNSec=), it does not
// execute itself again.
func TestRunKeepsEnoughTimerSlack(t *testing.T) {
	pid, reexecuted := startRun(t, uintptr(2*timerSlack))
	if reexecuted {
		t.Error("onair run executed itself again though its slack was already enough")
	}
	want := strconv.FormatInt(int64(2*timerSlack), 10)
	for tid, got := range threadSlacks(t, pid) {
		if got != want {
			t.Errorf("thread %s: timer slack %s ns, want the inherited %s", tid, got, want)
		}
	}
}

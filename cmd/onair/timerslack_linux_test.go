package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// startRun starts `onair run --demo --quiet` (this test binary, as onair:
// see TestMain) with its own home, waits for "onair starting" on stderr and
// returns its PID and whether it executed itself again.
func startRun(t *testing.T, slack uintptr) (pid int, reexecuted bool) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	link := filepath.Join(dir, "onair")
	if err := os.Symlink(exe, link); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, slackExecEnv+"=") {
			env = append(env, kv)
		}
	}
	env = append(env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_STATE_HOME="+filepath.Join(home, ".local", "state"), "XDG_RUNTIME_DIR="+filepath.Join(dir, "run"))
	cmd := exec.Command(link, "run", "--demo", "--quiet")
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	// The child inherits the slack of the thread that starts it, as a
	// service started by systemd with TimerSlackNSec= would.
	runtime.LockOSThread()
	if slack != 0 {
		if err := unix.Prctl(unix.PR_SET_TIMERSLACK, slack, 0, 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	err = cmd.Start()
	if slack != 0 {
		unix.Prctl(unix.PR_SET_TIMERSLACK, 0, 0, 0, 0) // back to the default
	}
	runtime.UnlockOSThread()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "onair starting") {
			break
		}
	}
	if sc.Err() != nil {
		t.Fatal(sc.Err())
	}
	go func() {
		for sc.Scan() {
		}
	}()
	environ, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/environ")
	if err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid, strings.Contains(string(environ), slackExecEnv+"=1")
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

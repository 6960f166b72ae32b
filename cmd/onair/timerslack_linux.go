package main

import (
	"os"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// timerSlack is how late Linux may end any timed sleep of `onair run`'s
// threads (prctl(2) PR_SET_TIMERSLACK; the default is 50 µs). Measured
// with onair-bench idle -rtt 50ms, Graph's answers taking 50 ms as over a
// network: 35-38 wake-ups per idle poll with the default, 7 with 10 ms, at
// the same CPU. Two things in the Go runtime cost the difference. The
// thread parked in epoll_wait until the next poll may wake up to 0.1 % of
// its timeout late (10 ms for a 10 s interval; the kernel's
// select_estimate_accuracy), while sysmon, sleeping on a futex until the
// same moment, wakes on time, finds the timer due but not yet run, and
// naps 20 µs at a time until it is. And after the answer's read system
// call wakes sysmon, it naps 20 µs at a time while the answer is handled.
// With the slack both naps stretch, and the two wake-ups fall together.
// Nothing in onair needs a timer closer than that: polls are seconds
// apart, and an effect frame (50 ms) may come up to 10 ms late. Events
// (an answer, a command, a USB event) are not timers and wake at once.
const timerSlack = 10 * time.Millisecond

// slackExecEnv marks the process that raiseTimerSlack started, so that it
// never starts another.
const slackExecEnv = "ONAIR_TIMER_SLACK_EXEC"

// raiseTimerSlack gives every thread of this process timerSlack. A thread's
// slack is inherited by the threads it creates and kept across execve, but
// can be set by the thread alone (other threads' need CAP_SYS_NICE), and
// the Go runtime has started its threads before main: so it sets its own
// and executes onair again with the same arguments and environment, same
// PID. It returns when there is nothing to do (the slack is already that
// much, as under systemd with TimerSlackNSec=, or this is the re-executed
// process) or the exec failed; onair then runs as it is.
func raiseTimerSlack() {
	if os.Getenv(slackExecEnv) != "" {
		os.Unsetenv(slackExecEnv)
		return
	}
	cur, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil || time.Duration(cur) >= timerSlack {
		return
	}
	// prctl and execve must run on the same thread: the slack is the
	// calling thread's, and execve keeps that thread's.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(timerSlack), 0, 0, 0); err != nil {
		return
	}
	// /proc/self/exe is the running binary even after a package upgrade
	// replaced the file on disk.
	_ = syscall.Exec("/proc/self/exe", os.Args, append(os.Environ(), slackExecEnv+"=1"))
}

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// sample is what /proc says about one process at one moment.
type sample struct {
	at time.Time
	// cpu is the CPU time of every thread the process ever had, dead ones
	// included, in nanoseconds: the process CPU clock (clock_gettime on
	// the clock ID that clock_getcpuclockid(3) would return), which Linux
	// keeps exact, where /proc/<pid>/stat rounds to clock ticks.
	cpu time.Duration
	// voluntary and involuntary are the context switches summed over the
	// live threads (/proc/<pid>/task/*/status): /proc/<pid>/status counts
	// the main thread only. A voluntary switch is a thread going to sleep,
	// so it counts wake-ups; involuntary ones are preemptions and grow
	// with the machine's load. Go keeps its threads, so threads that exit
	// (and take their counts with them) are rare.
	voluntary, involuntary int64
	rss, hwm               int64 // VmRSS, VmHWM in bytes
	// anon and file split rss: the heap, stacks and runtime data; and the
	// pages of the binary (and libraries) that are mapped in.
	anon, file int64
	threads    int // Threads
	fds        int // entries of /proc/<pid>/fd
	// ticks is utime+stime from /proc/<pid>/stat in clock ticks (USER_HZ,
	// 100 on every Linux architecture Go supports): the cross-check for
	// cpu. majflt counts the page faults that had to read from disk (field
	// 12): each puts a thread to sleep, so each is a wake-up too.
	ticks, majflt int64
}

// processClock returns the CPU-time clock of process pid, as glibc's
// clock_getcpuclockid computes it: MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)
// in include/linux/posix-timers.h.
func processClock(pid int) int32 {
	return int32((^pid)<<3 | 2)
}

// cpuTime reads a process's CPU clock.
func cpuTime(pid int) (time.Duration, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(processClock(pid), &ts); err != nil {
		return 0, fmt.Errorf("CPU clock of process %d: %w", pid, err)
	}
	return time.Duration(ts.Nano()), nil
}

// statFields returns the fields of /proc/<pid>/stat from field 3 (state)
// on, at least 13 of them: f[n-3] is field n of proc_pid_stat(5).
func statFields(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	// The command name (field 2) may contain spaces; fields resume after
	// its closing parenthesis.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return nil, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	return f, nil
}

// statusFields reads the "Key:\tvalue" lines of a status file.
func statusFields(path string, want func(key, value string)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok {
			want(k, strings.TrimSpace(v))
		}
	}
	return sc.Err()
}

// kB parses "1234 kB" into bytes.
func kB(v string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64)
	return n * 1024
}

// take samples process pid.
func take(pid int) (sample, error) {
	s := sample{at: time.Now()}
	var err error
	if s.cpu, err = cpuTime(pid); err != nil {
		return s, err
	}
	base := fmt.Sprintf("/proc/%d", pid)
	err = statusFields(base+"/status", func(k, v string) {
		switch k {
		case "VmRSS":
			s.rss = kB(v)
		case "VmHWM":
			s.hwm = kB(v)
		case "RssAnon":
			s.anon = kB(v)
		case "RssFile":
			s.file = kB(v)
		case "Threads":
			s.threads, _ = strconv.Atoi(v)
		}
	})
	if err != nil {
		return s, err
	}
	tasks, err := os.ReadDir(base + "/task")
	if err != nil {
		return s, err
	}
	for _, t := range tasks {
		// A thread may exit between ReadDir and the read: skip it.
		_ = statusFields(filepath.Join(base, "task", t.Name(), "status"), func(k, v string) {
			n, _ := strconv.ParseInt(v, 10, 64)
			switch k {
			case "voluntary_ctxt_switches":
				s.voluntary += n
			case "nonvoluntary_ctxt_switches":
				s.involuntary += n
			}
		})
	}
	fds, err := os.ReadDir(base + "/fd")
	if err != nil {
		return s, err
	}
	s.fds = len(fds)
	f, err := statFields(pid)
	if err != nil {
		return s, err
	}
	// majflt, utime and stime are fields 12, 14 and 15.
	majflt, err1 := strconv.ParseInt(f[12-3], 10, 64)
	u, err2 := strconv.ParseInt(f[14-3], 10, 64)
	st, err3 := strconv.ParseInt(f[15-3], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return s, fmt.Errorf("%s/stat: bad majflt, utime or stime %q", base, f[12-3:15-3+1])
	}
	s.majflt, s.ticks = majflt, u+st
	return s, nil
}

// loadAverage returns /proc/loadavg's first three fields.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestTakeSelf checks the sampler on this process: its CPU clock against
// the kernel's own CLOCK_PROCESS_CPUTIME_ID and /proc/<pid>/stat, and the
// status fields.
func TestTakeSelf(t *testing.T) {
	pid := os.Getpid()
	s0, err := take(pid)
	if err != nil {
		t.Fatal(err)
	}
	// Burn 200 ms of CPU time (measured by the clock under test's
	// reference, not by the wall clock).
	var ts unix.Timespec
	start := s0.cpu
	x := 0
	for {
		for i := range 1_000_000 {
			x += i
		}
		if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
			t.Fatal(err)
		}
		if time.Duration(ts.Nano())-start > 200*time.Millisecond {
			break
		}
	}
	runtime.KeepAlive(x)
	s1, err := take(pid)
	if err != nil {
		t.Fatal(err)
	}
	if own := time.Duration(ts.Nano()); s1.cpu < own || s1.cpu-own > 50*time.Millisecond {
		t.Errorf("process CPU clock read from outside = %v, CLOCK_PROCESS_CPUTIME_ID just before = %v", s1.cpu, own)
	}
	used := s1.cpu - s0.cpu
	byTicks := time.Duration(s1.ticks-s0.ticks) * 10 * time.Millisecond // USER_HZ = 100
	if diff := (used - byTicks).Abs(); diff > 60*time.Millisecond {
		t.Errorf("CPU used = %v by the clock, %v by /proc/%d/stat ticks", used, byTicks, pid)
	}
	if s1.rss <= 0 || s1.hwm < s1.rss || s1.threads < 1 || s1.fds < 3 {
		t.Errorf("sample = %+v: want RSS > 0, peak ≥ RSS, threads ≥ 1, fds ≥ 3", s1)
	}
	if s1.voluntary < s0.voluntary || s1.involuntary < s0.involuntary || s1.voluntary+s1.involuntary == 0 {
		t.Errorf("context switches went from %d+%d to %d+%d", s0.voluntary, s0.involuntary, s1.voluntary, s1.involuntary)
	}
	if _, err := take(1 << 30); err == nil {
		t.Error("take of a process that does not exist returned no error")
	}
}

// A page fault that reads from disk shows in majflt, as the kernel counts
// it for getrusage.
func TestTakeCountsMajorFaults(t *testing.T) {
	dir := t.TempDir()
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil {
		t.Fatal(err)
	}
	if ft := uint32(fs.Type); ft == uint32(unix.TMPFS_MAGIC) || ft == uint32(unix.RAMFS_MAGIC) { // int32 on 32-bit ARM
		t.Skipf("%s is in memory (tmpfs): no fault there reads from disk; set TMPDIR to a disk", dir)
	}
	const pages = 64
	name := filepath.Join(dir, "pages")
	if err := os.WriteFile(name, bytes.Repeat([]byte{1}, pages*4096), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := unix.Mmap(int(f.Fd()), 0, pages*4096, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	rusage := func() int64 {
		var r unix.Rusage
		if err := unix.Getrusage(unix.RUSAGE_SELF, &r); err != nil {
			t.Fatal(err)
		}
		return r.Majflt
	}
	s0, err := take(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Each try drops the file from the page cache and touches one page not
	// touched before. Such a touch is not always counted as major: the
	// kernel may keep a page it cannot drop yet (in writeback, or in
	// another CPU's LRU batch), and a fault that waits for its read under
	// the VMA lock may be retried, and counted minor, once the page is
	// there. Here 37 tests in 500 needed a second try, and about as many
	// when mincore had first shown the page gone. So it tries until
	// getrusage counts one, then checks that take agrees.
	tries := 0
	for counted := false; !counted; tries++ {
		if tries == pages {
			t.Fatalf("none of %d touches of a page dropped from memory counted as a major fault", pages)
		}
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
			t.Fatal(err)
		}
		before := rusage()
		if b := m[tries*4096]; b != 1 {
			t.Fatalf("read %d from the mapping, want 1", b)
		}
		counted = rusage() > before
	}
	r1 := rusage()
	s1, err := take(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	r2 := rusage()
	if s1.majflt <= s0.majflt || s1.majflt < r1 || s1.majflt > r2 {
		t.Errorf("majflt %d → %d after %d touches of dropped pages; getrusage counts %d to %d", s0.majflt, s1.majflt, tries, r1, r2)
	}
	if tries > 1 {
		t.Logf("%d touches until one counted as major", tries)
	}
}

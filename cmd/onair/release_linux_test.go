package main

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/onair-dev/onair/daemon"
	"golang.org/x/sys/unix"
)

// The onair that tests start (this binary, run as onair by TestMain) gives
// back its pages after ONAIR_TEST_RELEASE_AFTER when set, instead of
// waiting releaseAfter.
func init() {
	if d, err := time.ParseDuration(os.Getenv("ONAIR_TEST_RELEASE_AFTER")); err == nil {
		releaseAfter = d
	}
}

func TestParseMaps(t *testing.T) {
	dev := unix.Mkdev(0xfd, 0x01)
	const maps = `00400000-00403000 r--p 00000000 fd:01 1234 /usr/bin/onair
00403000-00a6d000 r-xp 00003000 fd:01 1234 /usr/bin/onair
00a6d000-0118f000 r--p 0066d000 fd:01 1234 /usr/bin/onair
0118f000-01190000 r--p 00d8e000 fd:01 1234 /usr/bin/onair
01190000-011fe000 rw-p 00d8f000 fd:01 1234 /usr/bin/onair
011fe000-0125a000 rw-p 00000000 00:00 0
c000000000-c000400000 rw-p 00000000 00:00 0
b7000000-b7028000 r--p 00000000 fd:01 99 /usr/lib/x86_64-linux-gnu/libc.so.6
b7100000-b7200000 r-xp 00000000 fd:02 1234 /mnt/other disk/onair
b7300000-b7400000 r-xp 00000000 fd:01 1234 /opt/my apps/onair (deleted)
bff00000-bff21000 rw-p 00000000 00:00 0                          [stack]
ffff0000-ffff1000 r-xp 00000000 00:00 0                  [vectors]
`
	got, err := parseMaps([]byte(maps), dev, 1234)
	if err != nil {
		t.Fatal(err)
	}
	want := []addrRange{
		{0x400000, 0x403000}, {0x403000, 0xa6d000}, {0xa6d000, 0x118f000}, {0x118f000, 0x1190000},
		{0xb7300000, 0xb7400000}, // same file under a path with spaces, deleted by an upgrade
	}
	if !slices.Equal(got, want) {
		t.Errorf("parseMaps = %x\nwant %x", got, want)
	}

	for _, bad := range []string{
		"00400000-00403000 r--p 00000000 fd:01 12x4 /usr/bin/onair\n",
		"00400000-00403000 r--p 00000000 fd01 1234 /usr/bin/onair\n",
		"00400000-00403000 r--p 00000000 fd:zz 1234 /usr/bin/onair\n",
		"00403000-00400000 r--p 00000000 fd:01 1234 /usr/bin/onair\n",
		"00400000 r--p 00000000 fd:01 1234 /usr/bin/onair\n",
	} {
		if r, err := parseMaps([]byte(bad), dev, 1234); err == nil {
			t.Errorf("parseMaps(%q) = %x, want an error", bad, r)
		}
	}
}

// exeMappings returns, for pid's read-only mappings of this test binary,
// the resident kB in all and each mapping's VmFlags (proc_pid_smaps(5)).
func exeMappings(t *testing.T, pid int) (rssKB int64, flags []string) {
	t.Helper()
	fi, err := os.Stat("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mine := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		field := strings.Fields(line)
		if len(field) == 0 {
			continue
		}
		if !strings.HasSuffix(field[0], ":") { // a mapping's first line
			r, err := parseMaps([]byte(line), uint64(st.Dev), st.Ino)
			if err != nil {
				t.Fatal(err)
			}
			mine = len(r) == 1
			continue
		}
		switch {
		case !mine:
		case field[0] == "Rss:":
			kb, err := strconv.ParseInt(field[1], 10, 64)
			if err != nil {
				t.Fatalf("smaps: %q", line)
			}
			rssKB += kb
		case field[0] == "VmFlags:":
			flags = append(flags, strings.Join(field[1:], " "))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(flags) == 0 {
		t.Fatalf("no read-only mapping of %s in /proc/%d/smaps", fi.Name(), pid)
	}
	return rssKB, flags
}

// random reports whether every mapping has VM_RAND_READ ("rr"), which
// MADV_RANDOM sets.
func random(flags []string) bool {
	for _, f := range flags {
		if !slices.Contains(strings.Fields(f), "rr") {
			return false
		}
	}
	return true
}

// skipOnTmpfs skips a test when this test binary is on a tmpfs, where
// releaseBinaryPages leaves it be: go test builds into $TMPDIR (or
// $GOTMPDIR), a tmpfs on many desktops.
func skipOnTmpfs(t *testing.T) {
	t.Helper()
	var fs unix.Statfs_t
	if err := unix.Statfs("/proc/self/exe", &fs); err != nil {
		t.Fatal(err)
	}
	if inMemory(&fs) {
		msg := "the test binary is on a tmpfs, whose pages onair keeps; set GOTMPDIR to a directory on a disk to run this test"
		if os.Getenv("ONAIR_REQUIRE_TOOLS") == "1" {
			t.Fatal(msg + "; ONAIR_REQUIRE_TOOLS=1 makes this a failure")
		}
		t.Skip(msg)
	}
}

// releaseBinaryPages gives back this process's pages of its binary: here the
// test binary, which nothing else maps while this test runs.
func TestReleaseBinaryPages(t *testing.T) {
	// The linker wrote this binary a moment ago: releaseBinaryPages must
	// get its pages written back before it can drop them.
	skipOnTmpfs(t)
	kbBefore, _ := exeMappings(t, os.Getpid())
	before, after, err := releaseBinaryPages()
	if err != nil {
		if strings.Contains(err.Error(), "not in this kernel") {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	kbAfter, flags := exeMappings(t, os.Getpid())
	t.Logf("file RSS %s → %s; the test binary's read-only mappings %d → %d kB", mib(before), mib(after), kbBefore, kbAfter)
	if after >= before {
		t.Errorf("file RSS %s → %s, want it lower", mib(before), mib(after))
	}
	// Measured: 15.3 MiB → 1.4–2.5 MiB (with -race 20.8 → 1.8); without
	// the write-back, 12.3 MiB were kept.
	if kbAfter > kbBefore/2 {
		t.Errorf("the binary's resident pages: %d → %d kB, want at most half", kbBefore, kbAfter)
	}
	if !random(flags) {
		t.Errorf("VmFlags %q: want rr (MADV_RANDOM) on every read-only mapping", flags)
	}
}

// `onair run` gives back its binary's pages releaseAfter after its start,
// and logs it.
func TestRunReleasesBinaryPages(t *testing.T) {
	skipOnTmpfs(t)
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte("version: 1\nlog:\n  level: debug\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := prepareOnair(t, cfg, "run", "--demo", "--quiet", "--no-lights")
	p.cmd.Env = append(p.cmd.Env, "ONAIR_TEST_RELEASE_AFTER=1ms")
	p.start(t)
	p.waitStatus(t, "the control API", func(daemon.Status) bool { return true })
	// This test process maps the same binary, so the daemon keeps most of
	// its pages (shared): what shows here is the advice it gave.
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, flags := exeMappings(t, p.cmd.Process.Pid)
		if random(flags) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no MADV_RANDOM on onair's read-only mappings within 15s: VmFlags %q", flags)
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.terminate(t)
	if !strings.Contains(p.stderr.String(), "start-up pages released") {
		t.Errorf("no \"start-up pages released\" in the log:\n%s", p.stderr)
	}
}

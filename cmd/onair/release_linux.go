package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// releaseAfter is how long after it starts `onair run` (or `onair tray`)
// gives back the pages of its binary (releaseBinaryPages). Start-up is
// usually over by then: the config, the token cache, the first poll, the
// MQTT connection and the USB scan take well under a second here. If it is
// not (no network yet at boot), the code it runs later comes back page by
// page. A variable so that the tests' onair can wait less.
var releaseAfter = 10 * time.Second

// scheduleRelease calls releaseBinaryPages once, releaseAfter from now, and
// logs what it did. Only a real onair process calls it (inMain): an
// in-process test would change the pages of the test binary.
func scheduleRelease(log *slog.Logger) {
	time.AfterFunc(releaseAfter, func() {
		before, after, err := releaseBinaryPages()
		if err != nil {
			log.Debug("start-up pages kept", "err", err)
			return
		}
		log.Debug("start-up pages released", "file_rss_before", mib(before), "file_rss_after", mib(after))
	})
}

// releaseBinaryPages gives back the memory that the onair binary's code
// and read-only data take in this process, and asks Linux to bring back
// only the pages that are used again, one at a time.
//
// Why: most of the binary (14 MB) runs only at start-up (config and YAML,
// MSAL, the TLS handshakes, MQTT and Home Assistant discovery, the USB
// scan), but stays mapped, and counted in RSS, for as long as the daemon
// runs. And it comes in in large pieces: read-ahead around a fault (8 MiB
// on the test VM) and, with ext4 large folios (Linux 6.18 there), a fault
// maps the whole folio around the page. An idle `onair run` had 14-15 MiB
// of its binary resident; after this, about 4-5 MiB (cmd/onair-bench
// idle, CONTRIBUTING.md).
//
// How: madvise(2) MADV_RANDOM on each read-only mapping of the binary,
// then MADV_PAGEOUT (Linux 5.4), which drops the pages, folios and all,
// that no other process maps, from memory and from the page cache.
// MADV_RANDOM turns off read-ahead for those mappings, and with nothing
// cached around a page the fault maps that page alone, so what comes back
// is the pages touched; it stays on. Each is read from disk once, on the
// next poll or the first time a later path runs (a token refresh, the USB
// rescan): a few hundred 4 KiB reads in all. Filling the page cache again
// right away (POSIX_FADV_WILLNEED) spared most of those reads but cost
// memory: a fault then maps up to 64 KiB of cached neighbours
// (fault-around), and an idle daemon had 9.7 MiB of file pages instead of
// 6.2. The writable data mapping is left alone. Pages that another
// process maps too (a second onair, `onair tray`, a CLI command running at
// that moment) are shared and kept.
//
// It returns the process's file-backed RSS (bytes) before and after.
func releaseBinaryPages() (before, after int64, err error) {
	ranges, err := binaryMappings()
	if err != nil {
		return 0, 0, err
	}
	if len(ranges) == 0 {
		return 0, 0, errors.New("no read-only mapping of the onair binary in /proc/self/maps")
	}
	before, err = fileRSS()
	if err != nil {
		return 0, 0, err
	}
	exe, err := os.Open("/proc/self/exe")
	if err != nil {
		return 0, 0, err
	}
	defer exe.Close()
	// A binary on a tmpfs lives in memory: its pages could only go to
	// swap, which is worse than keeping them.
	var fs unix.Statfs_t
	if err := unix.Fstatfs(int(exe.Fd()), &fs); err != nil {
		return 0, 0, fmt.Errorf("statfs of the onair binary: %w", err)
	}
	if inMemory(&fs) {
		return 0, 0, errors.New("the onair binary is on a tmpfs, in memory already: nothing to give back")
	}
	// A page not yet written back cannot be dropped, and a binary that
	// `go install` or a copy wrote a moment ago has them. Errors do not
	// matter here: a binary on a read-only file system has none.
	_ = exe.Sync()
	for _, r := range ranges {
		if err := madvise(r, unix.MADV_RANDOM); err != nil {
			return 0, 0, fmt.Errorf("madvise MADV_RANDOM: %w", err)
		}
		if err := madvise(r, unix.MADV_PAGEOUT); err != nil {
			if errors.Is(err, syscall.EINVAL) {
				return 0, 0, errors.New("madvise MADV_PAGEOUT: not in this kernel (it came with Linux 5.4)")
			}
			return 0, 0, fmt.Errorf("madvise MADV_PAGEOUT: %w", err)
		}
	}
	// An idle daemon collects only when the runtime forces it, every two
	// minutes: collect now, so that the collector's and the scavenger's
	// pages come back in one go here, not two minutes into an idle
	// stretch; and the heap freed since start-up goes back to the system.
	debug.FreeOSMemory()
	after, err = fileRSS()
	return before, after, err
}

// inMemory reports whether a file system keeps its files in memory (tmpfs,
// ramfs). The magic numbers are 32 bits; Statfs_t.Type is an int32 on
// 32-bit ARM, where RAMFS_MAGIC would not fit.
func inMemory(fs *unix.Statfs_t) bool {
	t := uint32(fs.Type)
	return t == uint32(unix.TMPFS_MAGIC) || t == uint32(unix.RAMFS_MAGIC)
}

// addrRange is a mapping's [start, end) in this process.
type addrRange struct{ start, end uintptr }

func madvise(r addrRange, advice int) error {
	_, _, errno := unix.Syscall(unix.SYS_MADVISE, r.start, r.end-r.start, uintptr(advice))
	if errno != 0 {
		return errno
	}
	return nil
}

// binaryMappings returns the read-only mappings (code, read-only data, the
// ELF headers) of the running executable, found in /proc/self/maps by the
// device and inode of /proc/self/exe: that works for a path with spaces
// and for a binary that an upgrade replaced or deleted.
func binaryMappings() ([]addrRange, error) {
	fi, err := os.Stat("/proc/self/exe")
	if err != nil {
		return nil, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, errors.New("stat /proc/self/exe: no device and inode")
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return nil, err
	}
	return parseMaps(maps, uint64(st.Dev), st.Ino)
}

// parseMaps picks from a /proc/<pid>/maps listing the mappings of the file
// dev:ino that are not writable. Each line is
// "start-end perms offset major:minor inode [path]", numbers in hex but
// the inode (proc_pid_maps(5)).
func parseMaps(maps []byte, dev, ino uint64) ([]addrRange, error) {
	var out []addrRange
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 5 {
			continue
		}
		if strings.Contains(f[1], "w") {
			continue
		}
		i, err := strconv.ParseUint(f[4], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("/proc/self/maps: inode %q: %w", f[4], err)
		}
		major, minor, ok := strings.Cut(f[3], ":")
		ma, err1 := strconv.ParseUint(major, 16, 32)
		mi, err2 := strconv.ParseUint(minor, 16, 32)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("/proc/self/maps: device %q", f[3])
		}
		if i != ino || unix.Mkdev(uint32(ma), uint32(mi)) != dev {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, strconv.IntSize) // uintptr's size
		end, err2 := strconv.ParseUint(hi, 16, strconv.IntSize)
		if !ok || err1 != nil || err2 != nil || end <= start {
			return nil, fmt.Errorf("/proc/self/maps: address range %q", f[0])
		}
		out = append(out, addrRange{uintptr(start), uintptr(end)})
	}
	return out, sc.Err()
}

// fileRSS is RssFile of /proc/self/status, in bytes.
func fileRSS() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "RssFile:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/self/status: RssFile %q", strings.TrimSpace(v))
			}
			return kb * 1024, nil
		}
	}
	return 0, errors.New("/proc/self/status: no RssFile")
}

// mib formats bytes as MiB with one decimal, for the log.
func mib(b int64) string { return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64) + " MiB" }

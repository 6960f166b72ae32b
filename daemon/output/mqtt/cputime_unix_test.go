//go:build unix

package mqtt

import "syscall"

// cpuTime returns the CPU time the process has used, user and system, in
// nanoseconds: the scale benchmarks report it per operation, since on a
// shared machine wall time also counts the time others ran.
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

//go:build !unix

package mqtt

// cpuTime is not measured here: the scale benchmarks report 0.
func cpuTime() int64 { return 0 }

//go:build !linux

package main

import (
	"errors"
	"time"
)

type sample struct {
	at                     time.Time
	cpu                    time.Duration
	voluntary, involuntary int64
	rss, hwm, anon, file   int64
	threads                int
	fds                    int
	ticks, majflt          int64
}

var errNotLinux = errors.New("onair-bench reads /proc: it runs on Linux only")

func take(int) (sample, error) { return sample{}, errNotLinux }
func loadAverage() string      { return "unknown" }

//go:build !windows

package main

import (
	"os"
	"syscall"
)

// reloadSignals are the signals that reload the config: SIGHUP, which
// `systemctl reload` sends through the unit's ExecReload and `kill -HUP`
// by hand.
func reloadSignals() []os.Signal { return []os.Signal{syscall.SIGHUP} }

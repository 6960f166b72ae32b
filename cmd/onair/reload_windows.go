//go:build windows

package main

import "os"

// reloadSignals is empty: Windows has no SIGHUP; `onair reload` asks the
// daemon over the control API instead.
func reloadSignals() []os.Signal { return nil }

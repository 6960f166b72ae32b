// Command onair shows your Microsoft Teams presence on busy-lights, MQTT and
// Home Assistant. Run `onair help` for the commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// inMain is set by main: this is a real onair process, not a test calling
// run in-process, so `onair run` may execute onair again (raiseTimerSlack)
// and `run` and `tray` may give back their binary's start-up pages
// (scheduleRelease); both would change the test binary's process.
var inMain bool

// main turns the signals a user or a service manager sends to stop onair
// (Ctrl-C's SIGINT; SIGTERM from systemd, launchd, kill) into a cancelled
// context, so that `run` takes its clean exit path: every output's exit
// action (lights off, MQTT "offline"), "onair stopped" logged, the control
// socket removed. `run` also handles SIGHUP (see reloadOnSignal): a reload
// under a service manager, a clean stop in a terminal. SIGQUIT is left to
// the Go runtime on purpose: it dumps every goroutine's stack and exits
// (status 2), the one way to see where a hung daemon is stuck; no service
// manager sends it to stop a service.
func main() {
	inMain = true
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"

	"github.com/onair-dev/onair/daemon"
)

// cmdReload asks the running daemon to read its config file again, as
// SIGHUP and `systemctl reload onair` do. It is the way on Windows (no
// SIGHUP) and under launchd (no reload verb). Exit 1 when the file was
// refused; the daemon then keeps running on its previous config.
func cmdReload(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "reload", "")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if !noArgs(e, fs, "reload") {
		return exitUsage
	}
	res, err := daemon.NewClient(e.paths().Socket).Reload(ctx)
	if err != nil {
		return fail(e, err)
	}
	if !res.OK {
		fmt.Fprintf(e.stderr, "onair: the daemon refused %s and keeps running on its previous config:\n", res.Config)
		for _, line := range res.Errors {
			fmt.Fprintf(e.stderr, "%s\n", line)
		}
		return exitFailure
	}
	if len(res.Changed) == 0 {
		fmt.Fprintf(e.stdout, "Reloaded %s: nothing changed.\n", res.Config)
	} else {
		fmt.Fprintf(e.stdout, "Reloaded %s: changed %s.\n", res.Config, strings.Join(res.Changed, ", "))
	}
	return exitOK
}

// reloadOnSignal reloads d's config on every reload signal (SIGHUP on Unix;
// none on Windows) until ctx is done. The result is logged by the daemon.
//
// In a terminal SIGHUP means the terminal went away (a hang-up), not
// "reload": there it stops the daemon through the clean exit path (lights
// off, MQTT offline, socket removed), as Ctrl-C does. Under a service
// manager stdin is not a terminal, and SIGHUP reloads, as
// `systemctl reload` (ExecReload) sends it.
func reloadOnSignal(ctx context.Context, stop context.CancelFunc, d *daemon.Daemon, log *slog.Logger, interactive bool) {
	sigs := reloadSignals()
	if len(sigs) == 0 {
		return
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
	go func() {
		defer signal.Stop(ch)
		for {
			select {
			case <-ctx.Done():
				return
			case s := <-ch:
				if interactive {
					log.Info("terminal hung up; stopping", "signal", s.String())
					stop()
					return
				}
				log.Info("reloading the config", "signal", s.String())
				d.Reload(ctx)
			}
		}
	}()
}

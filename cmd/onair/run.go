package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/onair-dev/onair/daemon"
)

func cmdRun(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "run", "[--demo] [--quiet]")
	demo := fs.Bool("demo", false, "play a scripted working day: no account, no network, no hardware needed")
	quiet := fs.Bool("quiet", false, "do not print the terminal light (one line per change) on stdout")
	noLights := fs.Bool("no-lights", false, "do not drive USB lights")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "onair run: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if inMain {
		raiseTimerSlack() // on Linux, may start onair again in this process
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return fail(e, err)
	}
	log, err := e.logger(cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		return fail(e, err)
	}
	log = serviceLogger(log) // the Event Log or syslog under the SCM or launchd
	if inMain {
		scheduleRelease(log) // on Linux, gives back the binary's start-up pages
	}
	opts := daemon.Options{
		Config:   cfg,
		Paths:    e.paths(),
		Demo:     *demo,
		Logger:   log,
		NoLights: *noLights,
		Version:  version,
	}
	if !*quiet {
		opts.Terminal = e.stdout
		opts.TerminalColor = isTerminal(e.stdout) && enableVT(e.stdout)
	}
	d, err := daemon.New(opts)
	if err != nil {
		return fail(e, err)
	}
	// The daemon does little at a time and mostly waits for the network.
	// With one P the runtime has no idle P to wake a thread for at every
	// hand-off between goroutines: half the idle wake-ups, and less CPU
	// for a 10,000-user poll (cmd/onair-bench). GOMAXPROCS set in the
	// environment wins.
	if os.Getenv("GOMAXPROCS") == "" {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	}
	// Memory before CPU: between collections the heap may grow to 1.5×
	// what is live, not 2×. The daemon allocates little while nothing
	// changes, so this costs collections only in bursts: 10,000 watched
	// users all changing at once cost about the same CPU, and the RSS
	// after it went from 69–77 to 56 MiB (cmd/onair-bench scale). GOGC
	// set in the environment wins.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(50))
	}
	mode := "graph"
	if *demo {
		mode = "demo"
	}
	cfgName := cfg.Path()
	if cfgName == "" {
		cfgName = "none (built-in defaults)"
	}
	log.Info("onair starting", "version", version, "mode", mode, "config", cfgName, "interval", d.Interval().String())
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	reloadOnSignal(ctx, stop, d, log, isTerminal(os.Stdin))
	// Under a service manager this runs through kardianos/service: a stop
	// request cancels ctx and the outputs run their exit action.
	if err := runDaemon(ctx, d.Run); err != nil {
		return fail(e, err)
	}
	log.Info("onair stopped")
	return exitOK
}

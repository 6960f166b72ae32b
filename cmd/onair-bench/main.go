// Command onair-bench measures the onair daemon as a user runs it: the real
// `onair` binary, driven through its CLI and config file, signed in with the
// real MSAL against a fake Entra ID (daemon/auth/entratest) and polling a
// fake Graph (daemon/graph/graphtest), both served over TLS by this process.
// It reads the daemon's cost from /proc, so it runs on Linux only.
//
//	onair-bench idle   idle CPU, wake-ups, RSS, Graph requests and response →
//	                   terminal latency of `onair run` and `onair run
//	                   --no-lights`, side by side with a minimal poller
//	                   (cmd/onair-bench/baseline), as ratios
//	onair-bench scale  N watched colleagues + me with MQTT to a real broker
//	                   (mosquitto): requests/poll, CPU per unchanged and per
//	                   all-change poll, response → last MQTT state, RSS
//	onair-bench soak   1,000 users at 2 s with MQTT for a while; fails if
//	                   RSS, fds, threads or CPU per poll grow beyond noise
//
// `make bench` and `make soak` build the binaries and run these.
//
// What the bench relies on from onair, so that a change there that breaks
// it is easy to find: the commands `--config FILE login` (device code),
// `run [--quiet] [--no-lights]` and `status --json`; the config keys
// graph.client_id, authority, base_url, interval and users (object IDs),
// mqtt.broker and node_id; XDG_* and HOME for the per-user paths and
// SSL_CERT_FILE for the trusted roots (crypto/x509 on Linux); the terminal
// light printing "Availability/Activity" in its line; and MQTT state at
// onair/<node_id>/<user slug>/state as JSON with a snake_case
// "teams": {"activity": …}.
//
// Figures are per process, from /proc: CPU time from the process CPU
// clock (exact, every thread), wake-ups as voluntary context switches
// summed over the threads, RSS from VmRSS. The machine's load is printed
// with each report; the idle bench measures its baseline in the same run
// so that the ratios hold on a busy machine.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:]))
}

func usage() {
	fmt.Fprint(os.Stderr, `Usage: onair-bench idle|scale|soak [flags]   (onair-bench <command> -h for flags)

  idle   idle cost of onair run (lights on) and --no-lights vs a minimal poller
  scale  N colleagues + me against the fake Graph, MQTT to mosquitto
  soak   1,000 users at 2 s with MQTT; fails on growth beyond noise
`)
}

func run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		usage()
		return 2
	}
	var err error
	switch args[0] {
	case "idle":
		err = cmdIdle(ctx, args[1:])
	case "scale":
		err = cmdScale(ctx, args[1:])
	case "soak":
		err = cmdSoak(ctx, args[1:])
	case "-h", "--help", "help":
		usage()
		return 0
	default:
		fmt.Fprintf(os.Stderr, "onair-bench: unknown command %q\n", args[0])
		usage()
		return 2
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errOverBudget):
		fmt.Fprintf(os.Stderr, "onair-bench: %v\n", err)
		return 1
	case err != nil:
		fmt.Fprintf(os.Stderr, "onair-bench: %v\n", err)
		return 1
	}
	return 0
}

// stdout receives the reports; tests read them.
var stdout io.Writer = os.Stdout

var (
	errUsage      = errors.New("usage")
	errOverBudget = errors.New("over budget")
)

// binaries are the programs under test.
type binaries struct{ onair, baseline string }

// addBinaryFlags adds -onair and -baseline.
func addBinaryFlags(fs *flag.FlagSet, b *binaries, withBaseline bool) {
	fs.StringVar(&b.onair, "onair", "", "onair `binary` to measure (default: go build ./cmd/onair into a temporary directory)")
	if withBaseline {
		fs.StringVar(&b.baseline, "baseline", "", "baseline `binary` (default: go build ./cmd/onair-bench/baseline)")
	}
}

// build fills in missing binaries by building them from the module that
// holds the working directory, into dir.
func (b *binaries) build(ctx context.Context, dir string) error {
	for _, x := range []struct {
		p   *string
		pkg string
	}{{&b.onair, "github.com/onair-dev/onair/cmd/onair"}, {&b.baseline, "github.com/onair-dev/onair/cmd/onair-bench/baseline"}} {
		if *x.p == "-" {
			continue
		}
		if *x.p != "" {
			abs, err := filepath.Abs(*x.p)
			if err != nil {
				return err
			}
			if _, err := os.Stat(abs); err != nil {
				return fmt.Errorf("%w (build it with `make build`, or leave the flag out to build it now)", err)
			}
			*x.p = abs
			continue
		}
		out := filepath.Join(dir, filepath.Base(x.pkg))
		// The release flags (Makefile LDFLAGS without the version stamp):
		// -s -w changes the binary's size, and so its RSS a little.
		// By import path: the go tool finds the module from the working
		// directory, anywhere inside the repository.
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, x.pkg)
		if o, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %w (run from the onair repository, or pass -onair and -baseline)\n%s", x.pkg, err, o)
		}
		*x.p = out
	}
	return nil
}

// workDir makes the temporary directory of one bench run (configs, logs,
// binaries) and builds there the binaries bins still needs; cleanup
// removes it unless keep asks to keep it for a look.
func workDir(ctx context.Context, bench string, keep bool, bins *binaries) (root string, cleanup func(), err error) {
	root, err = os.MkdirTemp("", "onair-bench-"+bench+"-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { os.RemoveAll(root) }
	if keep {
		fmt.Fprintln(os.Stderr, "keeping", root)
		cleanup = func() {}
	}
	if err := bins.build(ctx, root); err != nil {
		cleanup()
		return "", nil, err
	}
	return root, cleanup, nil
}

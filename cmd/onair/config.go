package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	pathpkg "path"
	"runtime"
	"strings"

	"github.com/onair-dev/onair/configs"
	"github.com/onair-dev/onair/daemon"
	"github.com/onair-dev/onair/daemon/config"
)

func configUsage(w io.Writer) {
	fmt.Fprint(w, `Usage:
  onair config check [FILE]   check a config file (default: the one onair reads; - reads stdin)
  onair config example        print a commented example config
  onair config path           print where the config, token cache and socket live
`)
}

func cmdConfig(_ context.Context, e *env, args []string) int {
	if len(args) == 0 {
		configUsage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		configUsage(e.stdout)
		return exitOK
	case "check":
		return configCheck(e, args[1:])
	case "example":
		fs := newFlags(e, "config example", "")
		if code, ok := parseFlags(fs, args[1:]); !ok {
			return code
		}
		if !noArgs(e, fs, "config example") {
			return exitUsage
		}
		e.stdout.Write(configs.Example)
		return exitOK
	case "path":
		fs := newFlags(e, "config path", "")
		if code, ok := parseFlags(fs, args[1:]); !ok {
			return code
		}
		if !noArgs(e, fs, "config path") {
			return exitUsage
		}
		p := e.paths()
		fmt.Fprintf(e.stdout, "config:      %s\ntoken cache: %s\nsocket:      %s\n", p.Config, p.TokenCache, p.Socket)
		return exitOK
	}
	fmt.Fprintf(e.stderr, "onair config: unknown subcommand %q (want check, example or path)\n", args[0])
	configUsage(e.stderr)
	return exitUsage
}

func configCheck(e *env, args []string) int {
	fs := newFlags(e, "config check", "[FILE]")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	path := e.paths().Config
	switch fs.NArg() {
	case 0:
	case 1:
		path = fs.Arg(0)
	default:
		fmt.Fprintln(e.stderr, "onair config check: give at most one file")
		return exitUsage
	}
	var cfg *config.Config
	var err error
	if path == "-" {
		cfg, err = config.Read(os.Stdin, "stdin") // onair config example | onair config check -
	} else {
		cfg, err = config.Load(path)
	}
	if errors.Is(err, config.ErrNoConfig) {
		fmt.Fprintf(e.stderr, "onair: %s does not exist. To create it with a commented example, run:\n\n  %s\n", path, createConfigCommand(runtime.GOOS, path))
		return exitFailure
	}
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return exitFailure
	}
	// Every check `onair run` makes, secrets included: a file that passes
	// here is one the daemon accepts.
	if problems := daemon.CheckConfig(cfg, version); len(problems) > 0 {
		fmt.Fprintln(e.stderr, strings.Join(problems, "\n"))
		return exitFailure
	}
	// CheckConfig passed, so Compile does too; it carries the warnings.
	// Warnings (a placeholder client ID, …) do not fail the check: onair
	// runs with them (without a client ID it shows login-required).
	set, _ := cfg.Compile()
	warns := set.Warnings
	if w := cfg.Warnings(); len(w) > 0 {
		warns = append(warns, strings.Split(configErrors(cfg, errors.Join(w...)).Error(), "\n")...)
	}
	for _, w := range warns {
		fmt.Fprintln(e.stderr, "warning: "+w)
	}
	switch len(warns) {
	case 0:
		fmt.Fprintf(e.stdout, "%s: ok\n", cfg.Path())
	case 1:
		fmt.Fprintf(e.stdout, "%s: ok, with 1 warning (on stderr)\n", cfg.Path())
	default:
		fmt.Fprintf(e.stdout, "%s: ok, with %d warnings (on stderr)\n", cfg.Path(), len(warns))
	}
	return exitOK
}

// createConfigCommand is one shell command that creates the config's folder
// (the example cannot be written into a folder that does not exist) and
// writes the example to path: for sh on Unix, for PowerShell on Windows.
// Out-File -Encoding utf8 because a PowerShell 5 redirection writes UTF-16.
func createConfigCommand(goos, path string) string {
	dir := pathpkg.Dir(path) // a Unix path, whatever OS runs the test
	if goos == "windows" {
		dir = windowsDir(path)
		cmd := "onair config example | Out-File -Encoding utf8 " + psQuote(path)
		if dir == "." || dir == "" {
			return cmd
		}
		return "New-Item -ItemType Directory -Force " + psQuote(dir) + " | Out-Null; " + cmd
	}
	cmd := "onair config example > " + shQuote(path)
	if dir == "." {
		return cmd
	}
	return "mkdir -p " + shQuote(dir) + " && " + cmd
}

// windowsDir is filepath.Dir for a Windows path on any OS, so that the
// command can be tested everywhere.
func windowsDir(path string) string {
	i := strings.LastIndexAny(path, `\/`)
	if i < 0 {
		return "."
	}
	return path[:i]
}

// shQuote quotes s for sh when it needs it ("Application Support").
func shQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+:@%,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// psQuote quotes s for PowerShell: single quotes, doubled inside.
func psQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

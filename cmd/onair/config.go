package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/onair-dev/onair/configs"
	"github.com/onair-dev/onair/daemon/config"
)

func cmdConfig(_ context.Context, e *env, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, "Usage: onair config check [FILE] | onair config example | onair config path")
		return exitUsage
	}
	switch args[0] {
	case "check":
		return configCheck(e, args[1:])
	case "example":
		e.stdout.Write(configs.Example)
		return exitOK
	case "path":
		p := e.paths()
		fmt.Fprintf(e.stdout, "config:      %s\ntoken cache: %s\nsocket:      %s\n", p.Config, p.TokenCache, p.Socket)
		return exitOK
	}
	fmt.Fprintf(e.stderr, "onair config: unknown subcommand %q (want check, example or path)\n", args[0])
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
	cfg, err := config.Load(path)
	if errors.Is(err, config.ErrNoConfig) {
		fmt.Fprintf(e.stderr, "onair: %s does not exist; `onair config example > %s` writes a commented example\n", path, path)
		return exitFailure
	}
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return exitFailure
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(e.stderr, configErrors(cfg, err))
		return exitFailure
	}
	fmt.Fprintf(e.stdout, "%s: ok\n", path)
	return exitOK
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/onair-dev/onair/devices/hid"
)

// Set by the linker: -X main.version=… -X main.commit=… -X main.date=…
var (
	version = "dev"
	commit  = ""
	date    = ""
)

type versionInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	Go        string `json:"go"`
	Platform  string `json:"platform"`
	USB       bool   `json:"usb"`
	USBDetail string `json:"usb_detail,omitempty"`
}

func buildInfo() versionInfo {
	v := versionInfo{Version: version, Commit: commit, Date: date, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok && v.Commit == "" {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Commit = s.Value
			case "vcs.time":
				if v.Date == "" {
					v.Date = s.Value
				}
			}
		}
	}
	if v.Commit == "" {
		v.Commit = "unknown"
	}
	if v.Date == "" {
		v.Date = "unknown"
	}
	v.USB = hid.Supported()
	if !v.USB {
		v.USBDetail = "built without USB support (CGO_ENABLED=0); build with cgo to drive USB lights"
	}
	return v
}

func cmdVersion(_ context.Context, e *env, args []string) int {
	fs := newFlags(e, "version", "[--json]")
	asJSON := fs.Bool("json", false, "print JSON (stable keys)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if !noArgs(e, fs, "version") {
		return exitUsage
	}
	v := buildInfo()
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		enc.Encode(v)
		return exitOK
	}
	usb := "yes"
	if !v.USB {
		usb = "no (" + v.USBDetail + ")"
	}
	fmt.Fprintf(e.stdout, "onair %s\ncommit:  %s\nbuilt:   %s\ngo:      %s %s\nusb:     %s\n", v.Version, v.Commit, v.Date, v.Go, v.Platform, usb)
	return exitOK
}

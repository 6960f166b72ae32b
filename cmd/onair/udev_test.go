package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onair-dev/onair/devices"
)

// TestUdevRulesFileUpToDate keeps configs/60-onair.rules equal to the rules
// generated from the one device table (devices.UdevRules over
// devices/registry.go), so a light added to the registry cannot ship without
// its rule. UPDATE_GOLDEN=1 rewrites the file.
func TestUdevRulesFileUpToDate(t *testing.T) {
	path := filepath.Join("..", "..", "configs", "60-onair.rules")
	want := devices.UdevRules()
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s differs from devices.UdevRules(); regenerate it with UPDATE_GOLDEN=1 go test ./cmd/onair\n%s", path, lineDiff(string(got), want))
	}
	// The rules cover every drivable ID in the table, on the right subsystem.
	for _, id := range devices.Entries() {
		if id.Unsupported != "" {
			continue
		}
		subsystem, attr := `SUBSYSTEM=="usb", ATTR`, "ATTR"
		if id.Driver.Bus == devices.Serial {
			subsystem, attr = `SUBSYSTEM=="tty", ATTRS`, "ATTRS"
		}
		line := fmt.Sprintf(`%s{idVendor}=="%04x", %s{idProduct}=="%04x"`, subsystem, id.VID, attr, id.PID)
		if !strings.Contains(want, line) {
			t.Errorf("no rule for %s %s (%04X:%04X): want a line starting %s", id.Driver.Vendor, id.Model, id.VID, id.PID, line)
		}
	}
}

// lineDiff returns the first differing line of got and want.
func lineDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("first difference at line %d:\n file: %s\n want: %s", i+1, gl, wl)
		}
	}
	return ""
}

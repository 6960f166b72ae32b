package main

import (
	"bytes"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTrayUsage(t *testing.T) {
	var stderr bytes.Buffer
	e := &env{stdout: &bytes.Buffer{}, stderr: &stderr}
	if code := cmdTray(t.Context(), e, []string{"extra"}); code != exitUsage {
		t.Errorf("onair tray extra = %d, want %d", code, exitUsage)
	}
	if !strings.Contains(stderr.String(), `unexpected argument "extra"`) {
		t.Errorf("stderr = %q", stderr.String())
	}
}

// TestTrayWithoutSessionBus checks that with no D-Bus session (an SSH
// login, a service) the tray says what it needs instead of hanging with no
// icon.
func TestTrayWithoutSessionBus(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the session bus is the Linux status area")
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+t.TempDir()+"/no-bus")
	var stderr bytes.Buffer
	e := &env{stdout: &bytes.Buffer{}, stderr: &stderr}
	if code := cmdTray(t.Context(), e, nil); code != exitFailure {
		t.Errorf("onair tray without a bus = %d, want %d", code, exitFailure)
	}
	if !strings.Contains(stderr.String(), "needs the desktop session's D-Bus") {
		t.Errorf("stderr = %q, want it to say the tray needs the session bus", stderr.String())
	}
}

func TestLoginArgs(t *testing.T) {
	for _, tt := range []struct {
		e    env
		want []string
	}{
		{env{}, []string{"login", "--browser"}},
		{env{system: true, configPath: "/etc/onair/config.yaml"}, []string{"--system", "--config", "/etc/onair/config.yaml", "login", "--browser"}},
	} {
		if diff := cmp.Diff(tt.want, loginArgs(&tt.e)); diff != "" {
			t.Errorf("loginArgs(%+v) (-want +got):\n%s", tt.e, diff)
		}
	}
}

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/onair-dev/onair/daemon"
	"github.com/onair-dev/onair/daemon/output"
	"github.com/onair-dev/onair/mapping"
	"github.com/onair-dev/onair/mapping/mappingtest"
)

// TestMain lets the scripts run the real onair: testscript puts a copy of
// this test binary named onair on $PATH, and running it calls main.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"onair": main,
	})
}

// TestScripts runs the CLI scripts in testdata/script (testscript txtar
// files, so each command's output and exit code is pinned as a user sees
// it): anything
// that needs no hardware or network. UPDATE_GOLDEN=1 rewrites the files
// that cmp compares against.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		UpdateScripts:       os.Getenv("UPDATE_GOLDEN") == "1",
		Setup:               scriptSetup,
		Condition:           scriptCondition,
	})
}

// scriptSetup gives every script its own home and XDG directories under
// $WORK, so that nothing reads or writes the real user's files: the
// per-user config, token cache, control socket and service unit all land
// there.
func scriptSetup(env *testscript.Env) error {
	home := filepath.Join(env.WorkDir, "home")
	dirs := map[string]string{
		"HOME":            home,
		"XDG_CONFIG_HOME": filepath.Join(home, ".config"),
		"XDG_STATE_HOME":  filepath.Join(home, ".local", "state"),
		"XDG_CACHE_HOME":  filepath.Join(home, ".cache"),
		"XDG_DATA_HOME":   filepath.Join(home, ".local", "share"),
		"XDG_RUNTIME_DIR": filepath.Join(env.WorkDir, "run"),
		"AppData":         filepath.Join(home, "AppData", "Roaming"),
		"LocalAppData":    filepath.Join(home, "AppData", "Local"),
	}
	for k, dir := range dirs {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		env.Setenv(k, dir)
	}
	env.Setenv("USER", "tester")
	env.Setenv("LOGNAME", "tester")
	return nil
}

// scriptCondition adds [root]: the test runs as root (never on Windows).
func scriptCondition(cond string) (bool, error) {
	switch cond {
	case "root":
		u, err := user.Current()
		return err == nil && u.Uid == "0", nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}

// TestSetVocabulary runs the cross-interface override cases through
// `onair set`'s argument parsing: it gives the override every interface
// gives, and the request it sends reads back to the same override with the
// vocabulary (the daemon's side once it uses mapping.OverrideText) and is
// accepted by today's control API parser (daemon.ParseOverride).
func TestSetVocabulary(t *testing.T) {
	for _, c := range mappingtest.OverrideCases {
		t.Run(c.Name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			e := &env{stdout: &stdout, stderr: &stderr}
			req, o, code, ok := parseSetArgs(e, c.Words)
			if c.Err != "" {
				if ok || code != exitUsage || !strings.Contains(stderr.String(), c.Err) {
					t.Fatalf("onair set %q: ok %v, code %d, stderr %q; want usage error %q", c.Words, ok, code, stderr.String(), c.Err)
				}
				return
			}
			if !ok {
				t.Fatalf("onair set %q: %s", c.Words, stderr.String())
			}
			if o != c.Want {
				t.Errorf("onair set %q = %+v, want %+v", c.Words, o, c.Want)
			}
			back, err := mapping.OverrideText{Status: req.Status, Effect: req.Effect, Label: req.Label, For: mapping.DurationText(req.For)}.Parse()
			want := c.Want
			if want.HasColor && want.Label == "" {
				want.Label = c.WantLabel // sent so that today's daemon shows it
			}
			if err != nil || back != want {
				t.Errorf("request %+v reads back as %+v, %v; want %+v", req, back, err, want)
			}
			old, dur, err := daemon.ParseOverride(req)
			if err != nil || dur != c.Want.For {
				t.Fatalf("daemon.ParseOverride(%+v) = %v, %v", req, dur, err)
			}
			if c.Want.HasColor && (old.Color == nil || *old.Color != c.Want.Color || old.Label != c.WantLabel) {
				t.Errorf("daemon.ParseOverride(%+v) = %+v, want colour %s labelled %q", req, old, c.Want.Color, c.WantLabel)
			}
		})
	}
}

func TestCreateConfigCommand(t *testing.T) {
	tests := []struct{ goos, path, want string }{
		{"linux", "/home/ann/.config/onair/config.yaml", "mkdir -p /home/ann/.config/onair && onair config example > /home/ann/.config/onair/config.yaml"},
		{"darwin", "/Users/ann/Library/Application Support/onair/config.yaml",
			"mkdir -p '/Users/ann/Library/Application Support/onair' && onair config example > '/Users/ann/Library/Application Support/onair/config.yaml'"},
		{"linux", "/home/o'neil/c.yaml", `mkdir -p '/home/o'\''neil' && onair config example > '/home/o'\''neil/c.yaml'`},
		{"linux", "c.yaml", "onair config example > c.yaml"},
		{"windows", `C:\Users\Ann\AppData\Roaming\onair\config.yaml`,
			`New-Item -ItemType Directory -Force 'C:\Users\Ann\AppData\Roaming\onair' | Out-Null; onair config example | Out-File -Encoding utf8 'C:\Users\Ann\AppData\Roaming\onair\config.yaml'`},
		{"windows", "c.yaml", "onair config example | Out-File -Encoding utf8 'c.yaml'"},
	}
	for _, tt := range tests {
		if got := createConfigCommand(tt.goos, tt.path); got != tt.want {
			t.Errorf("createConfigCommand(%s, %q) =\n  %s\nwant\n  %s", tt.goos, tt.path, got, tt.want)
		}
	}
}

// TestPrintStatusCalendar: "busy until" and the next meeting, from the
// calendar, in the text status.
func TestPrintStatusCalendar(t *testing.T) {
	now := time.Date(2026, 11, 30, 10, 51, 20, 0, time.Local)
	var st daemon.Status
	st.Version, st.Mode, st.Interval, st.Schedule = "dev", "app", "10s", "always"
	st.Health.State = "ok"
	st.Users = []daemon.UserStatus{
		{User: "adele@contoso.com", Name: "Adele", State: "ok", Label: "In a meeting · until 11:30", BusyUntil: now.Add(39 * time.Minute), NextBusy: now.Add(3 * time.Hour)},
		{User: "lee@contoso.com", Name: "Lee", State: "ok", Label: "Available"},
	}
	var b bytes.Buffer
	printStatus(&b, st, now)
	for _, want := range []string{"(app mode)", "In a meeting · until 11:30", "calendar:\n  Adele: busy until 11:30, next meeting 13:51\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "Lee:") {
		t.Errorf("a user without calendar information is listed:\n%s", b.String())
	}
}

// TestPrintStatusTimes: instants that are not today show their day and how
// far away they are; states show in their one spelling.
func TestPrintStatusTimes(t *testing.T) {
	now := time.Date(2026, 11, 30, 10, 51, 20, 0, time.Local)
	var st daemon.Status
	st.Version, st.Mode, st.Interval, st.Schedule = "dev", "demo", "30s", "always"
	st.Health.State = "login_required"
	st.Paused, st.PausedUntil = true, now.Add(48*time.Hour-10*time.Second)
	green := mapping.Green
	st.Override = &output.Override{User: "me", Color: &green, Label: "Green", Until: now.Add(30 * time.Hour), Source: "cli"}
	st.Users = []daemon.UserStatus{{User: "me", Name: "me", State: "off_hours", Label: "Green", Rule: "override"}}
	var b bytes.Buffer
	printStatus(&b, st, now)
	for _, want := range []string{
		"health:    login-required\n",
		"paused:    until Wed 10:51 (in 1d 23h)\n",
		"override:  green for me, until Tue 16:51 (in 1d 6h) (set by cli)\n",
		"off-hours",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, b.String())
		}
	}
}

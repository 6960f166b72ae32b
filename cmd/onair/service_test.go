package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/kardianos/service"
)

func testSpec(t *testing.T, goos string, system bool, exe string) serviceSpec {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	e := &env{stdout: io.Discard, stderr: io.Discard, system: system}
	s, err := newServiceSpec(e, goos, exe)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// requireTool finds a tool or skips, unless ONAIR_REQUIRE_TOOLS=1 (CI),
// where a missing tool is a failure.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("ONAIR_REQUIRE_TOOLS") == "1" {
			t.Fatalf("%s not found and ONAIR_REQUIRE_TOOLS=1: install it (Debian: apt-get install systemd)", name)
		}
		t.Skipf("%s not found: skipping (set ONAIR_REQUIRE_TOOLS=1 to make this a failure)", name)
	}
	return p
}

// systemdVerify runs systemd-analyze verify on the unit text, saved as
// onair.service, and returns everything it printed. It prints nothing for
// a clean unit; warnings such as unknown keys do not change its exit code,
// so callers check the output too.
func systemdVerify(t *testing.T, unit string, user bool) (string, error) {
	t.Helper()
	tool := requireTool(t, "systemd-analyze")
	dir := t.TempDir()
	path := filepath.Join(dir, serviceName+".service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"verify"}
	if user {
		args = append(args, "--user")
	}
	cmd := exec.Command(tool, append(args, path)...)
	// The user manager wants a runtime directory even offline.
	rt := filepath.Join(dir, "run")
	if err := os.Mkdir(rt, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+rt, "SYSTEMD_LOG_COLOR=0")
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// TestSystemdAnalyzeVerify checks the generated units with systemd's own
// checker. verify requires ExecStart's binary to exist: the units point at
// this test binary.
func TestSystemdAnalyzeVerify(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		system bool
	}{{"user", false}, {"system", true}} {
		t.Run(tc.name, func(t *testing.T) {
			unit, err := testSpec(t, "linux", tc.system, exe).render()
			if err != nil {
				t.Fatal(err)
			}
			out, err := systemdVerify(t, unit, !tc.system)
			if err != nil || out != "" {
				t.Fatalf("systemd-analyze verify: %v\n%s\nunit:\n%s", err, out, unit)
			}
		})
	}
	// The check above is only worth something if verify does complain
	// about a broken unit.
	t.Run("catches errors", func(t *testing.T) {
		unit, err := testSpec(t, "linux", false, "/nonexistent/onair").render()
		if err != nil {
			t.Fatal(err)
		}
		unit = strings.Replace(unit, "RestartSec=5s", "RestartSec=soon", 1)
		out, _ := systemdVerify(t, unit, true)
		for _, want := range []string{"soon", "/nonexistent/onair"} {
			if !strings.Contains(out, want) {
				t.Errorf("verify output does not mention %q:\n%s", want, out)
			}
		}
	})
}

// TestUnitsAvoidKardianosPitfalls pins the lines kardianos/service's own
// systemd template gets wrong (its default target and restart delay).
func TestUnitsAvoidKardianosPitfalls(t *testing.T) {
	user, err := testSpec(t, "linux", false, "/usr/bin/onair").render()
	if err != nil {
		t.Fatal(err)
	}
	system, err := testSpec(t, "linux", true, "/usr/bin/onair").render()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		unit      string
		want, not []string
	}{
		{user, []string{"WantedBy=default.target", "Restart=on-failure", "RestartSec=5s", "ExecStart=/usr/bin/onair run --quiet"}, []string{"multi-user.target", "RestartSec=120", "User="}},
		{system, []string{"WantedBy=multi-user.target", "User=" + serviceAccount, "SupplementaryGroups=" + serviceGroup, "StateDirectory=onair", "ConfigurationDirectory=onair", "RuntimeDirectory=onair", "ExecStart=/usr/bin/onair --system run --quiet", "RestartSec=5s"}, []string{"default.target", "RestartSec=120"}},
	} {
		lines := strings.Split(tc.unit, "\n")
		for _, w := range tc.want {
			if !slices.Contains(lines, w) {
				t.Errorf("unit lacks line %q:\n%s", w, tc.unit)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(tc.unit, n) {
				t.Errorf("unit contains %q:\n%s", n, tc.unit)
			}
		}
	}
}

// TestLaunchdPlist parses the agent's plist as XML and checks the keys
// launchd acts on.
func TestLaunchdPlist(t *testing.T) {
	s := testSpec(t, "darwin", false, "/Applications/on air/onair")
	s.Args = append(s.Args, "a&b")
	text, err := s.render()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Dict struct {
			Items []struct {
				XMLName xml.Name
				Value   string   `xml:",chardata"`
				Strings []string `xml:"string"`
			} `xml:",any"`
		} `xml:"dict"`
	}
	if err := xml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("plist is not XML: %v\n%s", err, text)
	}
	got := map[string]string{}
	var args []string
	items := doc.Dict.Items
	for i := 0; i+1 < len(items); i += 2 {
		if items[i].XMLName.Local != "key" {
			t.Fatalf("item %d is <%s>, want <key>", i, items[i].XMLName.Local)
		}
		v := items[i+1]
		switch v.XMLName.Local {
		case "true", "false":
			got[items[i].Value] = v.XMLName.Local
		case "array":
			args = v.Strings
		default:
			got[items[i].Value] = v.Value
		}
	}
	want := map[string]string{"Label": serviceName, "RunAtLoad": "true", "KeepAlive": "true", "ThrottleInterval": "5",
		"StandardErrorPath": s.LogFile, "StandardOutPath": s.LogFile, "ProcessType": "Background"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	wantArgs := []string{"/Applications/on air/onair", "run", "--quiet", "a&b"}
	if strings.Join(args, "|") != strings.Join(wantArgs, "|") {
		t.Errorf("ProgramArguments = %q, want %q", args, wantArgs)
	}
}

// TestRunPlanRollsBack: a failing step leaves the machine as it was: the
// undos of the steps before it run, newest first; the failing step's own
// undo does not (its action cleans up after itself).
func TestRunPlanRollsBack(t *testing.T) {
	var log []string
	st := func(name string, fail bool) step {
		return step{line: name + "    # comment", do: func() error {
			log = append(log, "do "+name)
			if fail {
				return errors.New("boom")
			}
			return nil
		}, undo: func() { log = append(log, "undo "+name) }}
	}
	err := runPlan([]step{st("a", false), {line: "b", do: func() error { log = append(log, "do b"); return nil }}, st("c", false), st("d", true), st("e", false)})
	if err == nil || err.Error() != "d: boom (rolled back: nothing is installed)" {
		t.Errorf("err = %v", err)
	}
	if got, want := strings.Join(log, ", "), "do a, do b, do c, do d, undo c, undo a"; got != want {
		t.Errorf("ran %s, want %s", got, want)
	}
	log = nil
	if err := runPlan([]step{st("a", false), st("b", false)}); err != nil || len(log) != 2 {
		t.Errorf("err = %v, ran %v", err, log)
	}
}

// TestPlanLinesArePlanActions: every step of every plan has an action, so
// what --dry-run prints is what install and uninstall run.
func TestPlanLinesArePlanActions(t *testing.T) {
	e := &env{stdout: io.Discard, stderr: io.Discard}
	for _, goos := range serviceOSes {
		for _, system := range []bool{false, true} {
			if goos == "darwin" && system {
				continue
			}
			s := testSpec(t, goos, system, exeFor(goos))
			for _, st := range append(s.installPlan(e, "x"), s.uninstallPlan(e)...) {
				if st.line == "" || st.do == nil {
					t.Errorf("%s system=%v: step %q has no line or no action", goos, system, st.line)
				}
			}
		}
	}
}

func TestSystemdCommandLine(t *testing.T) {
	for _, tc := range []struct {
		words []string
		want  string
	}{
		{[]string{"/usr/bin/onair", "run", "--quiet"}, "/usr/bin/onair run --quiet"},
		{[]string{"/opt/on air/onair", "--config", "/home/a b/c.yaml"}, `"/opt/on air/onair" --config "/home/a b/c.yaml"`},
		{[]string{"/bin/onair", "50%", "$HOME"}, "/bin/onair 50%% $$HOME"},
		{[]string{"/bin/onair", `a"b\c`, ""}, `/bin/onair "a\"b\\c" ""`},
		{[]string{"/bin/onair", "a;b"}, `/bin/onair "a;b"`},
	} {
		if got := systemdCommandLine(tc.words); got != tc.want {
			t.Errorf("systemdCommandLine(%q) = %s, want %s", tc.words, got, tc.want)
		}
	}
}

// TestWindowsCommandLine uses the cases of syscall.EscapeArg's rules
// (CommandLineToArgvW).
func TestWindowsCommandLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", `""`},
		{`C:\onair\onair.exe`, `C:\onair\onair.exe`},
		{`C:\Program Files\onair\onair.exe`, `"C:\Program Files\onair\onair.exe"`},
		{`a b\`, `"a b\\"`},
		{`say "hi"`, `"say \"hi\""`},
		{`a\"b c`, `"a\\\"b c"`},
	} {
		if got := windowsEscapeArg(tc.in); got != tc.want {
			t.Errorf("windowsEscapeArg(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestServiceSpecErrors(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	for _, tc := range []struct {
		name   string
		e      env
		goos   string
		exe    string
		errHas string
	}{
		{"darwin system", env{system: true}, "darwin", "/usr/local/bin/onair", "--system is not supported on macOS"},
		{"relative windows exe", env{}, "windows", `onair.exe`, "want an absolute windows path"},
		{"relative linux exe for windows host", env{}, "linux", `C:\onair`, "want an absolute linux path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if strings.HasPrefix(tc.name, "relative") && tc.goos == runtime.GOOS {
				t.Skip("for this OS a relative path is made absolute")
			}
			_, err := newServiceSpec(&tc.e, tc.goos, tc.exe)
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.errHas)
			}
		})
	}
}

// fakeLogger records what reaches a kardianos service.Logger.
type fakeLogger struct{ lines []string }

func (f *fakeLogger) add(level string, v ...any) error {
	f.lines = append(f.lines, level+": "+fmt.Sprint(v...))
	return nil
}
func (f *fakeLogger) Error(v ...any) error   { return f.add("error", v...) }
func (f *fakeLogger) Warning(v ...any) error { return f.add("warning", v...) }
func (f *fakeLogger) Info(v ...any) error    { return f.add("info", v...) }
func (f *fakeLogger) Errorf(format string, a ...any) error {
	return f.add("error", fmt.Sprintf(format, a...))
}
func (f *fakeLogger) Warningf(format string, a ...any) error {
	return f.add("warning", fmt.Sprintf(format, a...))
}
func (f *fakeLogger) Infof(format string, a ...any) error {
	return f.add("info", fmt.Sprintf(format, a...))
}

var _ service.Logger = (*fakeLogger)(nil)

func TestServiceLogHandler(t *testing.T) {
	fl := &fakeLogger{}
	level := slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})
	log := slog.New(newServiceLogHandler(fl, level))
	log.Debug("hidden")
	log.Info("onair starting", "version", "1.0")
	log.With("component", "graph").WithGroup("req").Warn("throttled", "retry_after", "5s")
	log.Error("output stopped", "err", errors.New("boom"))
	want := []string{
		`info: level=INFO msg="onair starting" version=1.0`,
		`warning: level=WARN msg=throttled component=graph req.retry_after=5s`,
		`error: level=ERROR msg="output stopped" err=boom`,
	}
	if strings.Join(fl.lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("logged:\n%s\nwant:\n%s", strings.Join(fl.lines, "\n"), strings.Join(want, "\n"))
	}
}

// TestProgramStop: Stop cancels the daemon's context and returns once it
// has returned; a daemon that ignores the stop is given up on after
// stopTimeout; a daemon that ends by itself is reported as a failure.
func TestProgramStop(t *testing.T) {
	t.Run("clean", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			exitAction := false
			p := newProgram(context.Background(), func(ctx context.Context) error {
				<-ctx.Done()
				time.Sleep(2 * time.Second) // the outputs' exit action
				exitAction = true
				return nil
			})
			if err := p.Start(nil); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if err := p.Stop(nil); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			if !exitAction || time.Since(start) != 2*time.Second {
				t.Errorf("Stop returned after %s, exit action ran: %v", time.Since(start), exitAction)
			}
		})
	})
	t.Run("hung", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			release := make(chan struct{})
			p := newProgram(context.Background(), func(ctx context.Context) error {
				<-release
				return nil
			})
			p.Start(nil)
			start := time.Now()
			err := p.Stop(nil)
			if err == nil || time.Since(start) != stopTimeout {
				t.Errorf("Stop = %v after %s, want an error after %s", err, time.Since(start), stopTimeout)
			}
			close(release)
			<-p.done
		})
	})
	t.Run("daemon failed", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := newProgram(context.Background(), func(ctx context.Context) error {
				return errors.New("control socket in use")
			})
			p.Start(nil)
			<-p.done
			if err := p.Stop(nil); err == nil || !strings.Contains(err.Error(), "control socket in use") {
				t.Errorf("Stop = %v, want the daemon's error", err)
			}
		})
	})
	t.Run("daemon returned nil by itself", func(t *testing.T) {
		p := newProgram(context.Background(), func(ctx context.Context) error { return nil })
		p.Start(nil)
		<-p.done
		if err := p.result(); err == nil {
			t.Error("result = nil for a daemon that stopped without being asked")
		}
	})
}

// TestDryRunChangesNothing runs install --dry-run for every OS and checks
// stdout holds the definition and nothing was written to HOME.
func TestDryRunChangesNothing(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, goos := range serviceOSes {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"service", "install", "--dry-run", "--os", goos, "--executable", exeFor(goos)}, &stdout, &stderr)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", goos, code, stderr.String())
		}
		if !strings.Contains(stdout.String(), exeFor(goos)) || !strings.Contains(stderr.String(), "would install") {
			t.Errorf("%s: stdout:\n%s\nstderr:\n%s", goos, stdout.String(), stderr.String())
		}
	}
	entries, err := os.ReadDir(home)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("dry runs wrote into HOME: %v", entries)
	}
}

func exeFor(goos string) string {
	if goos == "windows" {
		return `C:\Program Files\onair\onair.exe`
	}
	return "/usr/local/bin/onair"
}

// TestServiceStateString pins the status lines, including the hint to
// --system when only the system unit is installed.
func TestServiceStateString(t *testing.T) {
	user := testSpec(t, "linux", false, "/usr/bin/onair")
	system := testSpec(t, "linux", true, "/usr/bin/onair")
	win := testSpec(t, "windows", false, exeFor("windows"))
	for _, tc := range []struct {
		st   serviceState
		want string
	}{
		{serviceState{Spec: user}, "service: not installed (onair service install)"},
		{serviceState{Spec: user, Other: " --system"}, "service: no systemd user unit, but a systemd system unit is installed: onair service status --system"},
		{serviceState{Spec: system, Installed: true, Running: true}, "service: installed (systemd system unit /etc/systemd/system/onair.service), running"},
		{serviceState{Spec: system, Installed: true}, "service: installed (systemd system unit /etc/systemd/system/onair.service), not running (onair service start --system)"},
		{serviceState{Spec: win, Installed: true, Detail: "failed (onair exited with code 2: Event Viewer, Application log)"},
			`service: installed (Windows service HKLM\SYSTEM\CurrentControlSet\Services\onair), failed (onair exited with code 2: Event Viewer, Application log)`},
	} {
		if got := tc.st.String(); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}

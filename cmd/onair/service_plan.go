package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/onair-dev/onair/cmd/onair/tray"
)

// step is one thing install or uninstall does: the line --dry-run prints,
// the action that does it, and the undo that reverts it when a later step
// fails. A failing action cleans up after itself. The plans are built for
// any target OS on any OS, so --dry-run --os shows another OS's plan; the
// actions only ever run on the target OS.
type step struct {
	line string
	do   func() error
	undo func() // nil: nothing to revert
}

// name is the step's line without its comment, for error messages.
func (st step) name() string {
	name, _, _ := strings.Cut(st.line, "    #")
	name, _, _ = strings.Cut(name, ", as:")
	return name
}

// runPlan runs the steps in order; when one fails it runs the undos of
// the steps before it in reverse.
func runPlan(steps []step) error {
	for i, st := range steps {
		if err := st.do(); err != nil {
			for j := i - 1; j >= 0; j-- {
				if steps[j].undo != nil {
					steps[j].undo()
				}
			}
			return fmt.Errorf("%s: %w (rolled back: nothing is installed)", st.name(), err)
		}
	}
	return nil
}

// installPlan lists, in order, what install does on s.OS; def is the
// rendered definition. With --tray, the last step starts `onair tray` at
// the user's login.
func (s serviceSpec) installPlan(e *env, def string) []step {
	steps := s.servicePlan(e, def)
	if s.Tray {
		steps = append(steps, s.trayStep())
	}
	return steps
}

// trayArgs are the arguments of the autostarted tray: it must reach the
// service this command installs.
func (s serviceSpec) trayArgs() []string {
	if s.System {
		return []string{"--system", "tray"}
	}
	return []string{"tray"}
}

// trayStep adds `onair tray` to the user's autostart, per OS convention
// (XDG autostart, a LaunchAgent, the HKCU Run key).
func (s serviceSpec) trayStep() step {
	line := "add onair tray to your autostart"
	if a, err := tray.AutostartEntryFor(s.OS, s.Executable, s.trayArgs()); err == nil {
		line += ": " + a.Path
	}
	return step{line: line,
		do:   func() error { _, err := tray.InstallAutostart(s.Executable, s.trayArgs()); return err },
		undo: func() { _, _ = tray.UninstallAutostart() },
	}
}

// servicePlan is the service part of installPlan.
func (s serviceSpec) servicePlan(e *env, def string) []step {
	switch s.OS {
	case "linux":
		var steps []step
		if s.System {
			steps = append(steps,
				ensureStep(e, groupaddArgs(), func() bool { _, err := user.LookupGroup(serviceGroup); return err == nil }, "groupdel", serviceGroup, "group"),
				ensureStep(e, useraddArgs(), func() bool { _, err := user.Lookup(serviceAccount); return err == nil }, "userdel", serviceAccount, "user"),
			)
		}
		reload := s.systemctl("daemon-reload")
		return append(steps,
			writeStep(s.Path, def, func() { _ = reload.do() }),
			step{line: s.systemctl("enable").line, do: s.systemctl("enable").do, undo: func() { _ = s.systemctl("disable").do() }},
			reload,
			step{line: s.systemctl("start").line, do: func() error { return s.start(e) }, undo: func() { _ = s.stop() }},
		)
	case "darwin":
		return []step{
			writeStep(s.Path, def, nil),
			{line: "launchctl load " + s.Path + "    # RunAtLoad starts it now and at every login",
				do: func() error { return s.start(e) }, undo: func() { _ = s.stop() }},
		}
	}
	created := false
	return []step{
		{line: "mkdir " + s.DataDir, do: func() error {
			if _, err := os.Stat(s.DataDir); !errors.Is(err, os.ErrNotExist) {
				return err
			}
			created = true
			return os.MkdirAll(s.DataDir, 0o700)
		}, undo: func() {
			if created {
				_ = os.Remove(s.DataDir) // only if still empty
			}
		}},
		cmdStep(e, icaclsArgs(s.DataDir), windowsCommandLine(icaclsArgs(s.DataDir))),
		{line: fmt.Sprintf(`create service %s through the SCM, as: sc.exe create %s binPath= "%s" start= delayed-auto obj= LocalSystem DisplayName= %s`,
			serviceName, serviceName, strings.ReplaceAll(windowsCommandLine(append([]string{s.Executable}, s.Args...)), `"`, `\"`), serviceName),
			do: func() error { return scm(s, "create") }, undo: func() { _ = scm(s, "delete") }},
		{line: "sc.exe failure " + serviceName + " reset= 86400 actions= restart/5000", do: func() error { return scm(s, "recovery") }},
		{line: "register Event Log source " + serviceName, do: func() error { return scm(s, "eventlog") }, undo: func() { _ = scm(s, "eventlog-remove") }},
		{line: "sc.exe failureflag " + serviceName + " 1", do: func() error { return scm(s, "failureflag") }},
		{line: "sc.exe start " + serviceName, do: func() error { return s.start(e) }, undo: func() { _ = s.stop() }},
	}
}

// uninstallPlan lists what uninstall does on s.OS. Stopping a stopped
// service is not an error: systemd's disable and the SCM's delete would
// leave a running service running, so it is always stopped first.
func (s serviceSpec) uninstallPlan(e *env) []step {
	steps := s.serviceUninstallPlan(e)
	if s.OS == runtime.GOOS {
		// The tray entry goes too, if --tray made one (none is no error).
		steps = append(steps, step{line: "remove onair tray from your autostart (if there)", do: func() error { _, err := tray.UninstallAutostart(); return err }})
	}
	return steps
}

func (s serviceSpec) serviceUninstallPlan(e *env) []step {
	switch s.OS {
	case "linux":
		return []step{
			{line: s.systemctl("stop").line, do: s.stop},
			s.systemctl("disable"),
			{line: "remove " + s.Path, do: func() error { return os.Remove(s.Path) }},
			s.systemctl("daemon-reload"),
		}
	case "darwin":
		return []step{
			{line: "launchctl unload " + s.Path, do: s.stop},
			{line: "remove " + s.Path, do: func() error { return os.Remove(s.Path) }},
		}
	}
	return []step{
		{line: "sc.exe stop " + serviceName, do: s.stop},
		{line: "sc.exe delete " + serviceName, do: func() error { return scm(s, "delete") }},
		{line: "remove Event Log source " + serviceName, do: func() error { return scm(s, "eventlog-remove") }},
	}
}

// systemctl is the step that runs systemctl verb on the unit (daemon-reload
// takes no unit).
func (s serviceSpec) systemctl(verb string) step {
	argv := []string{"systemctl"}
	if !s.System {
		argv = append(argv, "--user")
	}
	argv = append(argv, verb)
	if verb != "daemon-reload" {
		argv = append(argv, serviceName+".service")
	}
	return step{line: strings.Join(argv, " "), do: func() error { return run1(argv) }}
}

// run1 runs a command and returns its own message on failure.
func run1(argv []string) error {
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		if msg := strings.TrimSpace(string(out)); msg != "" {
			return fmt.Errorf("%w: %s", err, msg)
		}
	}
	return err
}

// cmdStep runs argv, saying so on stderr.
func cmdStep(e *env, argv []string, line string) step {
	return step{line: line, do: func() error {
		fmt.Fprintf(e.stderr, "running: %s\n", line)
		return run1(argv)
	}}
}

// ensureStep creates a group or user with argv unless exists says it is
// there; undo deletes only what it created.
func ensureStep(e *env, argv []string, exists func() bool, del, name, what string) step {
	st := cmdStep(e, argv, strings.Join(argv, " "))
	created := false
	return step{
		line: st.line + "    # only if the " + what + " does not exist",
		do: func() error {
			if exists() {
				return nil
			}
			created = true
			return st.do()
		},
		undo: func() {
			if created {
				_ = cmdStep(e, []string{del, name}, del+" "+name).do()
			}
		},
	}
}

// writeStep writes the definition file (and its directory, for user
// units and agents). Its undo removes the file and then runs after.
func writeStep(path, text string, after func()) step {
	return step{line: "write " + path, do: func() error {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			_ = os.Remove(path)
			return err
		}
		return nil
	}, undo: func() {
		_ = os.Remove(path)
		if after != nil {
			after()
		}
	}}
}

// groupaddArgs creates the group that USB lights belong to on a headless
// machine (Debian and Raspberry Pi OS have it already).
func groupaddArgs() []string {
	return []string{"groupadd", "--system", serviceGroup}
}

// useraddArgs creates the system service's account: no login, no home
// directory of its own (systemd creates /var/lib/onair as StateDirectory).
func useraddArgs() []string {
	return []string{"useradd", "--system", "--user-group", "--groups", serviceGroup,
		"--home-dir", "/var/lib/onair", "--no-create-home", "--shell", "/usr/sbin/nologin", serviceAccount}
}

// icaclsArgs closes the Windows data directory to everyone but SYSTEM and
// Administrators: ProgramData is readable by all users by default, and the
// token cache must not be.
func icaclsArgs(dir string) []string {
	return []string{"icacls", dir, "/inheritance:r",
		"/grant:r", "*S-1-5-18:(OI)(CI)F", // SYSTEM
		"/grant:r", "*S-1-5-32-544:(OI)(CI)F", // Administrators
	}
}

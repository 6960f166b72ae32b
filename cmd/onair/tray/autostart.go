package tray

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Autostart is where and how `onair tray` is registered to start when the
// user logs in.
type Autostart struct {
	// Path is the file (Linux, BSDs, macOS) or registry value (Windows).
	Path string
	// Content is what is stored there: a desktop entry, a launchd
	// property list, or the command line of the Run value.
	Content string
}

// ErrAutostartUnsupported is returned on systems with no known autostart
// convention.
var ErrAutostartUnsupported = errors.New("tray: no known way to start programs at login on this system; start `onair tray` from your session's startup programs instead")

// LaunchAgentLabel is the launchd label of the tray's LaunchAgent, next to
// the service's "onair" label.
const LaunchAgentLabel = "onair.tray"

// RunValueName is the name of the tray's value under
// HKCU\Software\Microsoft\Windows\CurrentVersion\Run.
const RunValueName = "onair tray"

// AutostartEntry returns what InstallAutostart would write for the command
// line exe args (args usually "tray", with --system or --config in front
// when the daemon uses them), without writing it.
func AutostartEntry(exe string, args []string) (Autostart, error) {
	return AutostartEntryFor(runtime.GOOS, exe, args)
}

// AutostartEntryFor is AutostartEntry for the conventions of goos, so that
// `service install --dry-run --os darwin` can show the LaunchAgent on Linux.
// Paths use this machine's home directory.
func AutostartEntryFor(goos, exe string, args []string) (Autostart, error) {
	if !isAbs(goos, exe) {
		return Autostart{}, fmt.Errorf("tray: autostart needs the absolute path of onair, not %q", exe)
	}
	argv := append([]string{exe}, args...)
	switch goos {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
		p, err := xdgAutostartPath()
		return Autostart{Path: p, Content: desktopEntry(argv)}, err
	case "darwin":
		p, err := launchAgentPath()
		return Autostart{Path: p, Content: launchAgent(argv)}, err
	case "windows":
		return Autostart{Path: runKeyPath + `\` + RunValueName, Content: windowsCommandLine(argv)}, nil
	}
	return Autostart{}, ErrAutostartUnsupported
}

func isAbs(goos, p string) bool {
	if goos != "windows" {
		return strings.HasPrefix(p, "/")
	}
	return strings.HasPrefix(p, `\\`) || len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/')
}

// InstallAutostart registers exe args to start at login for the current
// user and returns what it wrote. Installing again replaces the entry.
func InstallAutostart(exe string, args []string) (Autostart, error) {
	a, err := AutostartEntry(exe, args)
	if err != nil {
		return a, err
	}
	return a, installAutostart(a)
}

// UninstallAutostart removes the entry InstallAutostart made and returns
// where it was. An entry that is not there is not an error.
func UninstallAutostart() (Autostart, error) {
	exe := "/onair"
	if runtime.GOOS == "windows" {
		exe = `C:\onair.exe`
	}
	a, err := AutostartEntry(exe, nil)
	if err != nil {
		return Autostart{}, err
	}
	a.Content = ""
	return a, uninstallAutostart(a)
}

// xdgAutostartPath is $XDG_CONFIG_HOME/autostart/onair-tray.desktop, with
// XDG_CONFIG_HOME defaulting to ~/.config, per the XDG autostart spec
// (https://specifications.freedesktop.org/autostart-spec/latest/).
func xdgAutostartPath() (string, error) {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if !filepath.IsAbs(dir) { // the base directory spec ignores relative paths
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("tray: autostart: %w", err)
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "autostart", "onair-tray.desktop"), nil
}

// desktopEntry is the XDG autostart file: a desktop entry of type
// Application (https://specifications.freedesktop.org/desktop-entry-spec/latest/).
func desktopEntry(argv []string) string {
	return "[Desktop Entry]\n" +
		"Type=Application\n" +
		"Name=onair tray\n" +
		"Comment=Presence light: signal colour and quick overrides\n" +
		"Exec=" + execLine(argv) + "\n" +
		"Terminal=false\n" +
		"NoDisplay=true\n" +
		"X-GNOME-Autostart-enabled=true\n"
}

// execLine quotes a command line for a desktop entry's Exec key: an
// argument with reserved characters goes in double quotes with ", `, $ and
// \ escaped by a backslash, % is doubled (field codes), and then the value
// is escaped as a string, which doubles every backslash.
func execLine(argv []string) string {
	const reserved = " \t\n\"'\\><~|&;$*?#()`"
	var parts []string
	for _, a := range argv {
		a = strings.ReplaceAll(a, "%", "%%")
		if a == "" || strings.ContainsAny(a, reserved) {
			a = `"` + strings.NewReplacer(`"`, `\"`, "`", "\\`", `$`, `\$`, `\`, `\\`).Replace(a) + `"`
		}
		parts = append(parts, a)
	}
	return strings.ReplaceAll(strings.Join(parts, " "), `\`, `\\`)
}

// launchAgentPath is ~/Library/LaunchAgents/onair.tray.plist, the per-user
// agents launchd starts at login (launchd.plist(5)).
func launchAgentPath() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("tray: autostart: %w", err)
	}
	return filepath.Join(home, "Library", "LaunchAgents", LaunchAgentLabel+".plist"), nil
}

// launchAgent is the LaunchAgent property list: start at login in the Aqua
// (GUI) session only, since a status item needs the window server, and do
// not restart after Quit.
func launchAgent(argv []string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>` + LaunchAgentLabel + `</string>
	<key>ProgramArguments</key>
	<array>
`)
	for _, a := range argv {
		b.WriteString("\t\t<string>" + xmlEscape(a) + "</string>\n")
	}
	b.WriteString(`	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>LimitLoadToSessionType</key>
	<string>Aqua</string>
	<key>ProcessType</key>
	<string>Interactive</string>
</dict>
</plist>
`)
	return b.String()
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}

// runKeyPath names the registry key of per-user programs started at logon.
const runKeyPath = `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`

// windowsCommandLine quotes argv the way CommandLineToArgvW splits it
// (the rules syscall.EscapeArg follows): quotes around arguments with
// spaces, tabs or quotes, backslashes doubled only before a quote.
func windowsCommandLine(argv []string) string {
	var parts []string
	for _, a := range argv {
		if a != "" && !strings.ContainsAny(a, " \t\"") {
			parts = append(parts, a)
			continue
		}
		var b strings.Builder
		b.WriteByte('"')
		slashes := 0
		for _, r := range a {
			switch r {
			case '\\':
				slashes++
				continue
			case '"':
				b.WriteString(strings.Repeat(`\`, 2*slashes+1))
			default:
				b.WriteString(strings.Repeat(`\`, slashes))
			}
			slashes = 0
			b.WriteRune(r)
		}
		b.WriteString(strings.Repeat(`\`, 2*slashes))
		b.WriteByte('"')
		parts = append(parts, b.String())
	}
	return strings.Join(parts, " ")
}

package tray

import (
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExecLine(t *testing.T) {
	for _, tt := range []struct {
		argv []string
		want string
	}{
		{[]string{"/usr/bin/onair", "tray"}, `/usr/bin/onair tray`},
		{[]string{"/home/ann/my apps/onair", "--config", "/home/ann/on air.yaml", "tray"}, `"/home/ann/my apps/onair" --config "/home/ann/on air.yaml" tray`},
		{[]string{"/opt/$x/onair", "tray"}, `"/opt/\\$x/onair" tray`},
		{[]string{"/opt/100%/onair"}, `/opt/100%%/onair`},
		{[]string{`/opt/a"b/onair`}, `"/opt/a\\"b/onair"`},
		{[]string{`/opt/back\slash/onair`}, `"/opt/back\\\\slash/onair"`},
	} {
		if got := execLine(tt.argv); got != tt.want {
			t.Errorf("execLine(%q) = %s, want %s", tt.argv, got, tt.want)
		}
	}
}

func TestWindowsCommandLine(t *testing.T) {
	for _, tt := range []struct {
		argv []string
		want string
	}{
		{[]string{`C:\Program Files\onair\onair.exe`, "tray"}, `"C:\Program Files\onair\onair.exe" tray`},
		{[]string{`C:\onair\onair.exe`, "--config", `C:\Users\Ann Example\onair.yaml`, "tray"}, `C:\onair\onair.exe --config "C:\Users\Ann Example\onair.yaml" tray`},
		{[]string{`C:\dir with space\`}, `"C:\dir with space\\"`},
		{[]string{`a"b`}, `"a\"b"`},
		{[]string{""}, `""`},
	} {
		if got := windowsCommandLine(tt.argv); got != tt.want {
			t.Errorf("windowsCommandLine(%q) = %s, want %s", tt.argv, got, tt.want)
		}
	}
}

func TestLaunchAgent(t *testing.T) {
	p := launchAgent([]string{"/Applications/On & Off/onair", "--system", "tray"})
	// A plist is XML; decode the parts launchd reads.
	var doc struct {
		Dict struct {
			Inner []byte `xml:",innerxml"`
		} `xml:"dict"`
	}
	if err := xml.Unmarshal([]byte(p), &doc); err != nil {
		t.Fatalf("launch agent is not well-formed XML: %v\n%s", err, p)
	}
	dec := xml.NewDecoder(strings.NewReader(string(doc.Dict.Inner)))
	var keys, strs []string
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if se, ok := tok.(xml.StartElement); ok {
			var s string
			switch se.Name.Local {
			case "key":
				dec.DecodeElement(&s, &se)
				keys = append(keys, s)
			case "string":
				dec.DecodeElement(&s, &se)
				strs = append(strs, s)
			}
		}
	}
	if diff := cmp.Diff([]string{"Label", "ProgramArguments", "RunAtLoad", "LimitLoadToSessionType", "ProcessType"}, keys); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"onair.tray", "/Applications/On & Off/onair", "--system", "tray", "Aqua", "Interactive"}, strs); diff != "" {
		t.Errorf("strings (-want +got):\n%s", diff)
	}
}

func TestAutostartEntryFor(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "")
	for _, tt := range []struct {
		goos, exe, wantPath, wantIn string
		wantErr                     string
	}{
		{"linux", "/usr/bin/onair", filepath.Join(home, ".config", "autostart", "onair-tray.desktop"), "Exec=/usr/bin/onair tray\n", ""},
		{"darwin", "/opt/homebrew/bin/onair", filepath.Join(home, "Library", "LaunchAgents", "onair.tray.plist"), "<string>/opt/homebrew/bin/onair</string>", ""},
		{"windows", `C:\Program Files\onair\onair.exe`, `HKCU\Software\Microsoft\Windows\CurrentVersion\Run\onair tray`, `"C:\Program Files\onair\onair.exe" tray`, ""},
		{"linux", "onair", "", "", "absolute path"},
		{"windows", `onair.exe`, "", "", "absolute path"},
		{"plan9", "/bin/onair", "", "", "no known way"},
	} {
		a, err := AutostartEntryFor(tt.goos, tt.exe, []string{"tray"})
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s %s: err = %v, want %q", tt.goos, tt.exe, err, tt.wantErr)
			}
			continue
		}
		if tt.goos != runtime.GOOS && tt.goos != "windows" && runtime.GOOS == "windows" {
			// The path is under this machine's home, which Windows takes
			// from USERPROFILE, not HOME: only the content is comparable.
			tt.wantPath = a.Path
		}
		if err != nil || a.Path != tt.wantPath || !strings.Contains(a.Content, tt.wantIn) {
			t.Errorf("%s: %s, %v; want %s containing %q; content:\n%s", tt.goos, a.Path, err, tt.wantPath, tt.wantIn, a.Content)
		}
	}
}

// TestXDGAutostart installs and removes the desktop entry under a
// temporary XDG_CONFIG_HOME and, when desktop-file-validate is there,
// validates it against the desktop entry spec.
func TestXDGAutostart(t *testing.T) {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
	default:
		t.Skipf("XDG autostart is for Linux and the BSDs, not %s", runtime.GOOS)
	}
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	a, err := InstallAutostart("/usr/local/bin/onair", []string{"--config", "/home/ann/on air.yaml", "tray"})
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(cfg, "autostart", "onair-tray.desktop")
	if a.Path != want {
		t.Errorf("path = %s, want %s", a.Path, want)
	}
	b, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	wantEntry := `[Desktop Entry]
Type=Application
Name=onair tray
Comment=Presence light: signal colour and quick overrides
Exec=/usr/local/bin/onair --config "/home/ann/on air.yaml" tray
Terminal=false
NoDisplay=true
X-GNOME-Autostart-enabled=true
`
	if diff := cmp.Diff(wantEntry, string(b)); diff != "" {
		t.Errorf("desktop entry (-want +got):\n%s", diff)
	}
	if v, err := exec.LookPath("desktop-file-validate"); err == nil {
		if out, err := exec.Command(v, want).CombinedOutput(); err != nil || len(out) > 0 {
			t.Errorf("desktop-file-validate: %v\n%s", err, out)
		}
	} else if os.Getenv("ONAIR_REQUIRE_TOOLS") == "1" {
		t.Error("desktop-file-validate not found and ONAIR_REQUIRE_TOOLS=1: apt-get install desktop-file-utils")
	} else {
		t.Log("desktop-file-validate not found (Debian: desktop-file-utils); the entry was compared but not validated")
	}

	// Relative XDG_CONFIG_HOME is ignored, per the base directory spec.
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "relative/dir")
	if a, err := AutostartEntry("/usr/bin/onair", []string{"tray"}); err != nil || a.Path != filepath.Join(home, ".config", "autostart", "onair-tray.desktop") {
		t.Errorf("with a relative XDG_CONFIG_HOME: %s, %v", a.Path, err)
	}
	t.Setenv("XDG_CONFIG_HOME", cfg)

	r, err := UninstallAutostart()
	if err != nil || r.Path != want {
		t.Fatalf("uninstall = %s, %v", r.Path, err)
	}
	if _, err := os.Stat(want); !os.IsNotExist(err) {
		t.Errorf("desktop entry still there after uninstall: %v", err)
	}
	if _, err := UninstallAutostart(); err != nil {
		t.Errorf("uninstall twice: %v, want no error", err)
	}
}

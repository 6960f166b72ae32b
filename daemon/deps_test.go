package daemon

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/onair-dev/onair"

// allowedImports is the dependency rule of DESIGN.md and STYLE.md rule 1:
// for each package, the onair packages and third-party module prefixes it may
// import directly. Packages marked stdlibOnly may not depend, even
// transitively, on anything outside the standard library.
var allowedImports = map[string]struct {
	stdlibOnly bool
	onair      []string
	thirdParty []string
}{
	"mapping":                {stdlibOnly: true},
	"devices":                {stdlibOnly: true},
	"configs":                {stdlibOnly: true},
	"daemon/graph":           {onair: []string{"mapping"}},
	"daemon/graph/graphtest": {stdlibOnly: true},
	"daemon/auth":            {thirdParty: []string{"github.com/AzureAD/microsoft-authentication-library-for-go/"}},
	"daemon/auth/entratest":  {stdlibOnly: true},
	"daemon/mqtt":            {onair: []string{"mapping"}, thirdParty: []string{"github.com/eclipse/paho.mqtt.golang"}},
	"devices/hid":            {onair: []string{"devices"}, thirdParty: []string{"github.com/karalabe/hid"}},
	"devices/serial":         {onair: []string{"devices"}, thirdParty: []string{"go.bug.st/serial"}},
	"devices/devicestest":    {onair: []string{"devices"}},
	"devices/usbip":          {onair: []string{"devices"}},
	"daemon":                 {onair: []string{"mapping", "devices", "devices/hid", "devices/serial", "daemon/auth", "daemon/graph", "daemon/mqtt"}, thirdParty: []string{"go.yaml.in/yaml/v3"}},
	"cmd/onair":              {onair: []string{"daemon", "daemon/auth", "devices", "devices/hid", "devices/serial", "devices/devicestest", "mapping", "configs"}, thirdParty: []string{"github.com/kardianos/service", "golang.org/x/term", "golang.org/x/sys/"}},
}

type listedPackage struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Standard   bool
}

// TestDependencyRule fails with one line per forbidden edge, so the layering
// cannot rot (tailscale's deptest does the same).
func TestDependencyRule(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command("go", "list", "-json", "-deps=false", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	std := stdlib(t)
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		rule, ok := allowedImports[rel]
		if !ok {
			if strings.Contains(rel, "/testdata") || strings.HasPrefix(rel, "devices/usbip/") {
				continue // test programs of the e2e bench
			}
			t.Errorf("%s: no dependency rule; add it to allowedImports", rel)
			continue
		}
		seen++
		check := p.Imports
		if rule.stdlibOnly {
			check = p.Deps
		}
		for _, imp := range check {
			if std[imp] || imp == "C" || strings.HasPrefix(imp, "internal/") || strings.HasPrefix(imp, "vendor/") {
				continue
			}
			if strings.HasPrefix(imp, module+"/") {
				dep := strings.TrimPrefix(imp, module+"/")
				if !contains(rule.onair, dep) {
					t.Errorf("%s imports %s: not allowed (allowed onair packages: %v)", rel, dep, rule.onair)
				}
				continue
			}
			if rule.stdlibOnly {
				t.Errorf("%s depends on %s: it may use only the standard library", rel, imp)
				continue
			}
			if !hasPrefix(rule.thirdParty, imp) {
				t.Errorf("%s imports %s: third-party import not allowed here (allowed: %v)", rel, imp, rule.thirdParty)
			}
		}
	}
	if seen < 8 {
		t.Fatalf("checked only %d packages", seen)
	}
}

// TestOnlyCmdImportsDaemon: the daemon is the composition root; nothing but
// cmd/onair may import it.
func TestOnlyCmdImportsDaemon(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		for _, imp := range f[1:] {
			if imp == module+"/daemon" && f[0] != module+"/cmd/onair" {
				t.Errorf("%s imports daemon; only cmd/onair may", f[0])
			}
		}
	}
}

func stdlib(t *testing.T) map[string]bool {
	out, err := exec.Command("go", "list", "std").Output()
	if err != nil {
		t.Fatalf("go list std: %v", err)
	}
	m := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		m[p] = true
	}
	return m
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func hasPrefix(prefixes []string, s string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

package daemon

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/onair-dev/onair"

// layers is the dependency table of the whole module, one row per package:
// the onair packages it may import and the third-party module prefixes it
// may import. A stdlibOnly package may not depend, even transitively, on
// anything outside the standard library. Imports run one way, down: the
// outputs import output, mapping, devices and their own library, never the
// daemon, config or each other; only cmd/onair imports the daemon.
var layers = map[string]struct {
	stdlibOnly bool
	onair      []string
	thirdParty []string
}{
	"mapping":             {stdlibOnly: true},
	"mapping/mappingtest": {onair: []string{"mapping"}},
	"configs":             {stdlibOnly: true},

	"devices":             {stdlibOnly: true},
	"devices/hid":         {onair: []string{"devices"}, thirdParty: []string{"github.com/karalabe/hid"}},
	"devices/hotplug":     {onair: []string{"devices"}},
	"devices/serial":      {onair: []string{"devices"}, thirdParty: []string{"go.bug.st/serial"}},
	"devices/devicestest": {onair: []string{"devices"}},
	"devices/usbip":       {onair: []string{"devices"}},
	"devices/usbip/e2e":   {stdlibOnly: true},
	"devices/usbip/guest": {onair: []string{"devices", "devices/hid", "devices/usbip", "devices/usbip/e2e"}},

	"daemon/secret":          {stdlibOnly: true},
	"daemon/backoff":         {stdlibOnly: true},
	"daemon/mdns":            {thirdParty: []string{"golang.org/x/net/dns/dnsmessage"}},
	"daemon/config":          {onair: []string{"mapping", "daemon/secret", "daemon/output", "daemon/output/web", "daemon/output/webhook"}, thirdParty: []string{"go.yaml.in/yaml/v3"}},
	"daemon/auth":            {thirdParty: []string{"github.com/AzureAD/microsoft-authentication-library-for-go/", "software.sslmate.com/src/go-pkcs12"}},
	"daemon/auth/entratest":  {stdlibOnly: true},
	"daemon/graph":           {onair: []string{"mapping"}},
	"daemon/graph/graphtest": {stdlibOnly: true},

	"daemon/output":        {onair: []string{"mapping"}},
	"daemon/output/lights": {onair: []string{"daemon/output", "mapping", "devices", "devices/hid", "devices/hotplug", "devices/serial"}},
	// golang.org/x/net/proxy: the broker dial honours all_proxy as paho's
	// own does (paho depends on it; see daemon/output/mqtt/conn.go).
	"daemon/output/mqtt": {onair: []string{"daemon/output", "mapping", "daemon/secret", "daemon/backoff", "daemon/mdns"}, thirdParty: []string{"github.com/eclipse/paho.mqtt.golang", "golang.org/x/net/proxy"}},
	// The embedded test broker.
	"daemon/output/mqtt/mqtttest": {thirdParty: []string{"github.com/mochi-mqtt/server/v2"}},
	"daemon/output/terminal":      {onair: []string{"daemon/output", "mapping"}},
	// The web page and webhook outputs, being built on the same contract.
	"daemon/output/web":     {onair: []string{"daemon/output", "mapping", "daemon/secret"}},
	"daemon/output/webhook": {onair: []string{"daemon/output", "mapping", "daemon/secret", "daemon/mdns"}},

	"daemon": {onair: []string{
		"mapping", "daemon/config", "daemon/secret", "daemon/backoff", "daemon/auth", "daemon/graph",
		"daemon/output", "daemon/output/lights", "daemon/output/mqtt", "daemon/output/terminal",
		"daemon/output/web", "daemon/output/webhook",
	}},
	// The benchmark harness drives the onair binary against the fakes; the
	// baseline it compares with is a bare TLS poller.
	"cmd/onair-bench":          {onair: []string{"daemon/auth/entratest", "daemon/graph/graphtest"}, thirdParty: []string{"github.com/eclipse/paho.mqtt.golang", "golang.org/x/sys/"}},
	"cmd/onair-bench/baseline": {stdlibOnly: true},
	"cmd/onair/tray":           {onair: []string{"daemon", "mapping"}, thirdParty: []string{"fyne.io/systray", "github.com/godbus/dbus/v5", "golang.org/x/sys/"}},
	"cmd/onair": {
		onair: []string{
			"daemon", "daemon/config", "daemon/auth", "daemon/output", "daemon/output/lights",
			"devices", "devices/hid", "devices/serial", "mapping", "configs", "cmd/onair/tray",
		},
		thirdParty: []string{"github.com/kardianos/service", "golang.org/x/term", "golang.org/x/sys/"},
	},
}

// testHelpers are fakes and test benches: none may end up in the shipped
// binary.
var testHelpers = []string{"mapping/mappingtest", "devices/devicestest", "devices/usbip", "daemon/graph/graphtest", "daemon/auth/entratest", "daemon/output/mqtt/mqtttest"}

type listedPackage struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Standard   bool
}

// goList runs go list -json with args and decodes the packages it prints.
func goList(t *testing.T, args ...string) []listedPackage {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command("go", append([]string{"list", "-json"}, args...)...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			return pkgs
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
}

// TestDependencyTable fails with one line per forbidden edge, so the
// layering cannot rot (tailscale's tstest/deptest does the same).
func TestDependencyTable(t *testing.T) {
	std := map[string]bool{}
	for _, p := range goList(t, "std") {
		std[p.ImportPath] = true
	}
	seen := 0
	for _, p := range goList(t, module+"/...") {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		rule, ok := layers[rel]
		if !ok {
			t.Errorf("%s: not in the dependency table; add a row to layers", rel)
			continue
		}
		seen++
		check := p.Imports
		if rule.stdlibOnly {
			check = p.Deps
		}
		for _, imp := range check {
			if std[imp] || imp == "C" || strings.HasPrefix(imp, "vendor/") {
				continue
			}
			if dep, ok := strings.CutPrefix(imp, module+"/"); ok {
				if !slices.Contains(rule.onair, dep) {
					t.Errorf("%s imports %s: not allowed (allowed onair packages: %v)", rel, dep, rule.onair)
				}
				continue
			}
			if rule.stdlibOnly {
				t.Errorf("%s depends on %s: it may use only the standard library", rel, imp)
				continue
			}
			if !slices.ContainsFunc(rule.thirdParty, func(prefix string) bool { return strings.HasPrefix(imp, prefix) }) {
				t.Errorf("%s imports %s: third-party import not allowed here (allowed: %v)", rel, imp, rule.thirdParty)
			}
		}
	}
	if seen < 15 {
		t.Fatalf("checked only %d packages", seen)
	}
}

// TestNoTestHelperInTheBinary: nothing the onair binary links may be a
// fake or a test bench.
func TestNoTestHelperInTheBinary(t *testing.T) {
	deps := goList(t, module+"/cmd/onair")[0].Deps
	if len(deps) < 20 {
		t.Fatalf("cmd/onair has only %d dependencies; go list went wrong", len(deps))
	}
	for _, d := range deps {
		rel, ok := strings.CutPrefix(d, module+"/")
		if !ok {
			continue
		}
		for _, h := range testHelpers {
			if rel == h || strings.HasPrefix(rel, h+"/") {
				t.Errorf("cmd/onair links the test helper %s", rel)
			}
		}
	}
}

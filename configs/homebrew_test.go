package configs

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// requireTool finds a tool or skips, unless ONAIR_REQUIRE_TOOLS=1 (CI),
// which turns the skip into a failure.
func requireTool(t *testing.T, name, install string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	msg := name + " not found (" + install + ")"
	if os.Getenv("ONAIR_REQUIRE_TOOLS") == "1" {
		t.Fatal(msg + "; ONAIR_REQUIRE_TOOLS=1 makes this a failure")
	}
	t.Skip(msg)
	return ""
}

// TestHomebrewFormula renders homebrew/onair.rb.in the way `make dist` does
// (.ci/homebrew-formula.sh) for an archive, and checks that the formula
// names the archive's URL and sha256 and that Ruby parses it.
func TestHomebrewFormula(t *testing.T) {
	bash := requireTool(t, "bash", "apt-get install bash")
	requireTool(t, "sha256sum", "apt-get install coreutils")
	dir := t.TempDir()
	archive := filepath.Join(dir, "onair-1.2.3.tar.gz")
	content := []byte("not really a tarball, but any bytes have a sha256")
	if err := os.WriteFile(archive, content, 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bash, "../.ci/homebrew-formula.sh", archive, "v1.2.3", "abc1234")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("homebrew-formula.sh: %v\n%s", err, stderr.String())
	}
	sum := sha256.Sum256(content)
	formula := string(out)
	for _, want := range []string{
		`url "https://github.com/onair-dev/onair/releases/download/v1.2.3/onair-1.2.3.tar.gz"`,
		`version "1.2.3"`,
		`sha256 "` + hex.EncodeToString(sum[:]) + `"`,
		`-X main.commit=abc1234`,
		`depends_on "go" => :build`,
		`run [opt_bin/"onair", "run"]`,
		`keep_alive true`,
		`THIRD_PARTY_NOTICES.md`,
	} {
		if !strings.Contains(formula, want) {
			t.Errorf("rendered formula lacks %s", want)
		}
	}
	if m := regexp.MustCompile(`@[A-Z0-9_]+@`).FindString(formula); m != "" {
		t.Errorf("rendered formula still has the placeholder %s", m)
	}
	// Every file the formula installs exists in the source tree.
	for _, f := range []string{"../configs/onair.example.yaml", "../README.md", "../LICENSE", "../THIRD_PARTY_NOTICES.md", "../cmd/onair"} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("the formula installs %s: %v", f, err)
		}
	}

	ruby := requireTool(t, "ruby", "apt-get install ruby")
	rb := filepath.Join(dir, "onair.rb")
	if err := os.WriteFile(rb, out, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(ruby, "-c", rb).CombinedOutput(); err != nil {
		t.Errorf("ruby -c onair.rb: %v\n%s", err, out)
	}
}

// TestReleaseMacosRefusesOffMac: `make release-macos` needs a Mac (cgo
// against IOKit) and says so elsewhere instead of building something
// without USB.
func TestReleaseMacosRefusesOffMac(t *testing.T) {
	if runtime.GOOS == "darwin" {
		t.Skip("on macOS release-macos builds for real")
	}
	bash := requireTool(t, "bash", "apt-get install bash")
	var stderr bytes.Buffer
	cmd := exec.Command(bash, "../.ci/release-macos.sh")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("release-macos.sh on %s: err %v, want exit status 1", runtime.GOOS, err)
	}
	if len(out) != 0 {
		t.Errorf("stdout: %q, want nothing", out)
	}
	if !strings.Contains(stderr.String(), "run this on macOS with Xcode command line tools") {
		t.Errorf("stderr: %q, want it to say: run this on macOS with Xcode command line tools", stderr.String())
	}
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readmeBlock returns the first fenced block (its body) after the line
// containing marker in the README.
func readmeBlock(t *testing.T, readme, marker, fence string) string {
	t.Helper()
	i := strings.Index(readme, marker)
	if i < 0 {
		t.Fatalf("README has no %q", marker)
	}
	rest := readme[i:]
	j := strings.Index(rest, "\n"+fence+"\n")
	if j < 0 {
		t.Fatalf("no %s block after %q in the README", fence, marker)
	}
	rest = rest[j+len(fence)+2:]
	k := strings.Index(rest, "\n```\n")
	if k < 0 {
		t.Fatalf("unterminated block after %q in the README", marker)
	}
	return rest[:k+1]
}

// TestREADMEConfigCheck: the `onair config check` output the README shows
// is what the program prints for the config the README shows.
func TestREADMEConfigCheck(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	input := readmeBlock(t, readme, "field path. For this `config.yaml`:", "```yaml")
	want := readmeBlock(t, readme, "`onair config check config.yaml` prints, and exits 1:", "```")

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(input), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	var stdout, stderr bytes.Buffer
	code := configCheck(&env{stdout: &stdout, stderr: &stderr}, []string{"config.yaml"})
	if code != exitFailure || stdout.Len() != 0 {
		t.Errorf("config check: exit %d, stdout %q; want exit %d and nothing on stdout", code, stdout.String(), exitFailure)
	}
	if got := stderr.String(); got != want {
		t.Errorf("README shows\n%s\nbut onair config check prints\n%s", want, got)
	}
}

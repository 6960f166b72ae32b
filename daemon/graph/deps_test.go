package graph_test

import (
	"go/build"
	"strings"
	"testing"
)

// TestImports enforces the dependency rule (STYLE rule 1): daemon/graph
// imports only mapping and the standard library, and graphtest only the
// standard library. Test files may also use go-cmp and graphtest.
func TestImports(t *testing.T) {
	const module = "github.com/onair-dev/onair/"
	tests := []struct {
		dir     string
		allowed []string
	}{
		{".", []string{module + "mapping"}},
		{"graphtest", nil},
	}
	for _, tt := range tests {
		pkg, err := build.ImportDir(tt.dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range pkg.Imports {
			first, _, _ := strings.Cut(imp, "/")
			if !strings.Contains(first, ".") {
				continue // standard library
			}
			ok := false
			for _, a := range tt.allowed {
				ok = ok || imp == a
			}
			if !ok {
				t.Errorf("%s imports %s: only %v and the standard library are allowed", pkg.ImportPath, imp, tt.allowed)
			}
		}
	}
}

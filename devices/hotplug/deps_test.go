package hotplug

import (
	"go/ast"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports keeps the package on the standard library (plus package
// devices for the registry), like package devices: no x/sys, and cgo only
// in a file that builds with cgo alone (the macOS IOKit watcher), so that
// every cgo-free build, and every other OS, compiles without a C compiler.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			first, _, _ := strings.Cut(path, "/")
			if path == "C" {
				if !needsCgo(f) {
					t.Errorf("%s imports \"C\" but builds without cgo: give it a //go:build constraint that requires cgo", name)
				}
				continue
			}
			if strings.Contains(first, ".") && path != "github.com/onair-dev/onair/devices" {
				t.Errorf("%s imports %q: hotplug may import only the standard library and devices", name, path)
			}
		}
	}
}

// needsCgo reports whether f's //go:build constraint is false whenever the
// cgo tag is, whatever the other tags.
func needsCgo(f *ast.File) bool {
	for _, g := range f.Comments {
		if g.Pos() > f.Package {
			break
		}
		for _, c := range g.List {
			if !constraint.IsGoBuild(c.Text) {
				continue
			}
			expr, err := constraint.Parse(c.Text)
			if err != nil {
				return false
			}
			return !expr.Eval(func(tag string) bool { return tag != "cgo" })
		}
	}
	return false
}

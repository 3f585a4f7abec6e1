package vsr

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports keeps the core pure: no goroutines, and no clock, network or
// disk (ARCHITECTURE.md: internal/vsr may import only wire).
func TestImports(t *testing.T) {
	banned := map[string]bool{"time": true, "net": true, "os": true, "os/exec": true, "syscall": true,
		"io/fs": true, "math/rand": true, "sync": true, "unsafe": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			switch {
			case banned[path] || strings.HasPrefix(path, "net/") || strings.HasPrefix(path, "time/"):
				t.Errorf("%s imports %q", name, path)
			case strings.Contains(path, ".") && path != "github.com/shoal-io/shoal/internal/wire":
				t.Errorf("%s imports %q; the core may import only the standard library and internal/wire", name, path)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if g, ok := n.(*ast.GoStmt); ok {
				t.Errorf("%s: go statement at %v", name, fset.Position(g.Pos()))
			}
			if c, ok := n.(*ast.ChanType); ok {
				t.Errorf("%s: channel type at %v", name, fset.Position(c.Pos()))
			}
			return true
		})
	}
	if checked == 0 {
		t.Fatal("no source files checked")
	}
}

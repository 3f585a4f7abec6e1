package lint

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// pkg is one directory of Go files.
type pkg struct {
	dir       string
	name      string
	hasDoc    bool
	hasTests  bool
	leakCheck bool
	imports   map[string]bool // non-test imports
}

func loadPackages(t *testing.T) []*pkg {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	byDir := map[string]*pkg{}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "local_data") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		dir, _ := filepath.Rel(root, filepath.Dir(path))
		p := byDir[dir]
		if p == nil {
			p = &pkg{dir: dir, imports: map[string]bool{}}
			byDir[dir] = p
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.ImportsOnly)
		if err != nil {
			return err
		}
		if strings.HasSuffix(path, "_test.go") {
			p.hasTests = true
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if strings.Contains(string(src), "goleak.VerifyTestMain") {
				p.leakCheck = true
			}
			return nil
		}
		p.name = f.Name.Name
		if f.Doc != nil && strings.HasPrefix(f.Doc.Text(), "Package "+f.Name.Name) ||
			f.Name.Name == "main" && f.Doc != nil {
			p.hasDoc = true
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			p.imports[path] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []*pkg
	for _, p := range byDir {
		out = append(out, p)
	}
	return out
}

// STYLE.md rules 8 and 21: every package has a doc comment, and every
// package with tests checks for goroutine leaks in TestMain.
func TestPackagesDocumentedAndLeakChecked(t *testing.T) {
	for _, p := range loadPackages(t) {
		if p.name == "" {
			continue // test-only directory
		}
		if !p.hasDoc {
			t.Errorf("%s: package %s has no doc comment (\"Package %s ...\")", p.dir, p.name, p.name)
		}
		if p.hasTests && !p.leakCheck {
			t.Errorf("%s: tests without goleak.VerifyTestMain in TestMain", p.dir)
		}
	}
}

// ARCHITECTURE.md layering for the leaf codecs: internal/wire imports only
// the standard library and the XXH3 module.
func TestWireImportsStayLeaf(t *testing.T) {
	for _, p := range loadPackages(t) {
		if p.dir != filepath.Join("internal", "wire") {
			continue
		}
		for imp := range p.imports {
			if strings.Contains(strings.Split(imp, "/")[0], ".") && imp != "github.com/zeebo/xxh3" {
				t.Errorf("internal/wire imports %s", imp)
			}
		}
		return
	}
	t.Fatal("internal/wire not found")
}

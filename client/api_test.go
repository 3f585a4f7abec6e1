package client

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/constant"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Issue #13: package client is the public SDK, and nobody outside this module
// can import internal/... packages. So every type a user reaches through
// client's exported identifiers must be one the user can name: a type of
// client itself, of a public package (time, crypto/tls, ...), or an internal
// type that client re-exports under an alias; and what such an alias exposes
// (exported fields, exported methods) must obey the same rule.

// TestPublicAPINamesNoInternalType type-checks package client from its
// source and fails if any exported identifier, followed through fields,
// methods, signatures and aliases, reaches an internal type that client does
// not re-export.
//
// It also checks the constants: one that re-exports an internal constant
// under the same name has its value, and no two constants of one type share
// a value (a copy-paste slip in wiretypes.go would).
func TestPublicAPINamesNoInternalType(t *testing.T) {
	fset := token.NewFileSet()
	pkg := typeCheckDir(t, fset, ".")
	if leaks := internalLeaks(pkg); len(leaks) > 0 {
		t.Errorf("package client exposes %d internal type(s) that users cannot name:\n\t%s",
			len(leaks), strings.Join(leaks, "\n\t"))
	}
	for _, p := range constantProblems(pkg) {
		t.Error(p)
	}
}

// constantProblems checks pkg's exported constants of named types: one
// with the name of a constant of its type's package must have its value,
// and one without (a renamed re-export, or a constant of pkg's own type)
// must not share its value with another constant of its type.
func constantProblems(pkg *types.Package) []string {
	var problems []string
	type named struct {
		name    string
		val     constant.Value
		renamed bool
	}
	byType := map[*types.TypeName][]named{}
	scope := pkg.Scope()
	for _, name := range scope.Names() {
		c, ok := scope.Lookup(name).(*types.Const)
		if !ok || !c.Exported() {
			continue
		}
		n, ok := types.Unalias(c.Type()).(*types.Named)
		if !ok {
			continue
		}
		home := n.Obj().Pkg()
		orig, same := home.Scope().Lookup(name).(*types.Const)
		same = same && home != pkg && types.Identical(orig.Type(), c.Type())
		if same && !constant.Compare(orig.Val(), token.EQL, c.Val()) {
			problems = append(problems, fmt.Sprintf("%s = %v, but %s.%s = %v", name, c.Val(), home.Name(), name, orig.Val()))
		}
		byType[n.Obj()] = append(byType[n.Obj()], named{name, c.Val(), !same})
	}
	for _, consts := range byType {
		for _, a := range consts {
			for _, b := range consts {
				if a.renamed && a.name != b.name && constant.Compare(a.val, token.EQL, b.val) {
					problems = append(problems, fmt.Sprintf("%s and %s are both %v", a.name, b.name, a.val))
				}
			}
		}
	}
	slices.Sort(problems)
	return problems
}

// typeCheckDir parses the non-test Go files of the package in dir and
// type-checks them against the compiled export data of their imports, which
// `go list -export` provides.
func typeCheckDir(t *testing.T, fset *token.FileSet, dir string) *types.Package {
	t.Helper()
	bp, err := build.ImportDir(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range bp.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	exports := exportData(t, dir)
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		file, ok := exports[path]
		if !ok {
			return nil, fmt.Errorf("no export data for %q", path)
		}
		return os.Open(file)
	})
	conf := types.Config{Importer: imp}
	pkg, err := conf.Check(bp.ImportPath, fset, files, nil)
	if err != nil {
		t.Fatal(err)
	}
	return pkg
}

// exportData maps the import path of every dependency of the package in dir
// to its export data file.
func exportData(t *testing.T, dir string) map[string]string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	cmd := exec.Command(goCmd, "list", "-export", "-deps", "-f", "{{if .Export}}{{.ImportPath}}\t{{.Export}}{{end}}", ".")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -export: %v\n%s", err, stderr.Bytes())
	}
	m := map[string]string{}
	for line := range strings.Lines(string(out)) {
		path, file, ok := strings.Cut(strings.TrimSpace(line), "\t")
		if ok {
			m[path] = file
		}
	}
	return m
}

// isInternalPath reports whether path has an element named internal, so the
// go command forbids importing it from outside its parent tree.
func isInternalPath(path string) bool {
	return slices.Contains(strings.Split(path, "/"), "internal")
}

// internalLeaks lists, sorted, where pkg's exported API reaches an internal
// named type that pkg does not re-export by an exported alias.
func internalLeaks(pkg *types.Package) []string {
	w := &apiWalker{pkg: pkg, reexported: map[*types.TypeName]bool{}, seen: map[*types.TypeName]bool{}}
	scope := pkg.Scope()
	for _, name := range scope.Names() {
		tn, ok := scope.Lookup(name).(*types.TypeName)
		if !ok || !tn.Exported() || !tn.IsAlias() {
			continue
		}
		if n, ok := types.Unalias(tn.Type()).(*types.Named); ok {
			w.reexported[n.Origin().Obj()] = true
		}
	}
	for _, name := range scope.Names() {
		obj := scope.Lookup(name)
		if obj.Exported() {
			w.walk(obj.Type(), name)
		}
	}
	slices.Sort(w.leaks)
	return slices.Compact(w.leaks)
}

// apiWalker follows types from the exported identifiers of pkg.
type apiWalker struct {
	pkg        *types.Package
	reexported map[*types.TypeName]bool // internal types pkg aliases under an exported name
	seen       map[*types.TypeName]bool // named types whose members were walked
	leaks      []string
}

func (w *apiWalker) qualifier(p *types.Package) string { return p.Name() }

func (w *apiWalker) walk(t types.Type, where string) {
	switch t := t.(type) {
	case *types.Alias:
		w.walk(types.Unalias(t), where)
	case *types.Basic, nil:
	case *types.Pointer, *types.Slice, *types.Array, *types.Chan:
		w.walk(t.(interface{ Elem() types.Type }).Elem(), where)
	case *types.Map:
		w.walk(t.Key(), where)
		w.walk(t.Elem(), where)
	case *types.Tuple:
		for v := range t.Variables() {
			w.walk(v.Type(), where)
		}
	case *types.Signature:
		w.walk(t.Params(), where)
		w.walk(t.Results(), where)
	case *types.Struct:
		for f := range t.Fields() {
			// An embedded field promotes its exported members even when its
			// own name is unexported.
			if f.Exported() || f.Embedded() {
				w.walk(f.Type(), where+"."+f.Name())
			}
		}
	case *types.Interface:
		for m := range t.Methods() {
			if m.Exported() {
				w.walk(m.Type(), where+"."+m.Name())
			}
		}
	case *types.TypeParam:
		w.walk(t.Constraint(), where)
	case *types.Named:
		w.walkNamed(t, where)
	default:
		w.leaks = append(w.leaks, fmt.Sprintf("%s: unhandled type %T", where, t))
	}
}

func (w *apiWalker) walkNamed(t *types.Named, where string) {
	for a := range t.TypeArgs().Types() {
		w.walk(a, where)
	}
	obj := t.Origin().Obj()
	if obj.Pkg() == nil { // error, comparable
		return
	}
	internal := isInternalPath(obj.Pkg().Path())
	if internal && !w.reexported[obj] {
		w.leaks = append(w.leaks, fmt.Sprintf("%s: %s", where, types.TypeString(t, w.qualifier)))
		return
	}
	if !internal && obj.Pkg() != w.pkg {
		return // a public package's type: users import that package
	}
	if w.seen[obj] {
		return
	}
	w.seen[obj] = true
	name := types.TypeString(t, w.qualifier)
	w.walk(t.Underlying(), name)
	if _, isIface := t.Underlying().(*types.Interface); isIface {
		return
	}
	// The method set of *T holds T's methods too, and promoted ones.
	ms := types.NewMethodSet(types.NewPointer(t))
	for sel := range ms.Methods() {
		if sel.Obj().Exported() {
			w.walk(sel.Type(), name+"."+sel.Obj().Name())
		}
	}
}

// fakeInternal is the source of a fake internal package for the tests of
// the checks themselves.
const fakeInternal = `package w
type Kind uint8
type Hidden struct{ N int }
type ID struct { Kind Kind; N uint32 }
func (ID) Shard() Hidden { return Hidden{} }
type Code uint16
func (c Code) String() string { return "" }
const (CodeA Code = 1; CodeB Code = 2)
type Conn interface{ Read() Hidden }
`

// checkFake type-checks src (declarations after an import of the fake
// internal package w) as package p.
func checkFake(t *testing.T, src string) *types.Package {
	t.Helper()
	fset := token.NewFileSet()
	wpkg := checkSource(t, fset, "example.com/m/internal/w", fakeInternal, nil)
	return checkSource(t, fset, "example.com/m/p", `package p; import "example.com/m/internal/w"; var _ w.Kind; `+src, wpkg)
}

// TestConstantProblemsCatchesSlips checks constantProblems on a re-export
// under the wrong name and a renamed one that repeats a value.
func TestConstantProblemsCatchesSlips(t *testing.T) {
	p := checkFake(t, `type Code = w.Code; const (CodeA = w.CodeB; First = w.CodeA; Again = w.CodeA; CodeB = w.CodeB)
type Own uint8; const (O1 Own = 1; O2 Own = 1)`)
	want := []string{"Again and First are both 1", "CodeA = 2, but w.CodeA = 1", "First and Again are both 1",
		"O1 and O2 are both 1", "O2 and O1 are both 1"}
	if got := constantProblems(p); !slices.Equal(got, want) {
		t.Errorf("problems %q, want %q", got, want)
	}
	if got := constantProblems(checkFake(t, `type Code = w.Code; const (CodeA = w.CodeA; CodeB = w.CodeB; Other = Code(3))`)); got != nil {
		t.Errorf("clean constants: %q", got)
	}
}

// TestInternalLeaksCatchesEveryPath checks the walker itself on small
// packages that import a fake internal package, one way to leak per case.
func TestInternalLeaksCatchesEveryPath(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"clean", `type T struct{ N int }; func F(t T) error { return nil }; type C = w.Code; const Z C = 1`, nil},
		{"result", `func F() (w.Hidden, error) { return w.Hidden{}, nil }`, []string{"F: w.Hidden"}},
		{"param", `func F(...w.Code) {}`, []string{"F: w.Code"}},
		{"method result", `type T struct{}; func (*T) M() *w.Hidden { return nil }`, []string{"p.T.M: w.Hidden"}},
		{"unexported method", `type T struct{}; func (T) m() w.Hidden { return w.Hidden{} }`, nil},
		{"field", `type T struct{ C map[string][]chan w.Conn }`, []string{"p.T.C: w.Conn"}},
		{"unexported field", `type T struct{ c w.Conn }`, nil},
		{"embedded", `type T struct{ w.Hidden }`, []string{"p.T.Hidden: w.Hidden"}},
		{"func type", `type D func() (w.Conn, error)`, []string{"p.D: w.Conn"}},
		{"variable", `var V [2]*w.Code`, []string{"V: w.Code"}},
		{"constant", `const K = w.Code(1)`, []string{"K: w.Code"}},
		{"interface", `type I interface{ Get() w.Hidden }`, []string{"p.I.Get: w.Hidden"}},
		{"unexported type's field", `type t struct{ X w.Kind }; func New() t { return t{} }`, []string{"p.t.X: w.Kind"}},
		{"promoted method", `type t struct{}; func (t) Get() w.Kind { return 0 }; type T struct{ t }`,
			[]string{"p.T.Get: w.Kind", "p.t.Get: w.Kind"}},
		{"generic", `type G[X any] struct{ V X }; var V G[w.Kind]`, []string{"V: w.Kind"}},
		{"alias with unexported field type", `type ID = w.ID`, []string{"w.ID.Kind: w.Kind", "w.ID.Shard: w.Hidden"}},
		{"alias, all re-exported", `type ID = w.ID; type Kind = w.Kind; type Hidden = w.Hidden; type Conn = w.Conn`, nil},
		{"unexported alias", `type id = w.ID; func F() id { return id{} }`, []string{"F: w.ID"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := internalLeaks(checkFake(t, tc.src)); !slices.Equal(got, tc.want) {
				t.Errorf("leaks %q, want %q", got, tc.want)
			}
		})
	}
}

func checkSource(t *testing.T, fset *token.FileSet, path, src string, dep *types.Package) *types.Package {
	t.Helper()
	f, err := parser.ParseFile(fset, path+".go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	conf := types.Config{Importer: importerFunc(func(p string) (*types.Package, error) {
		if dep != nil && p == dep.Path() {
			return dep, nil
		}
		return nil, errors.New("unknown import " + p)
	})}
	pkg, err := conf.Check(path, fset, []*ast.File{f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return pkg
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

package novars

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
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

const module = "github.com/benchctl/benchctl"

// pkgInfo is what go list says of one package.
type pkgInfo struct {
	path, dir, export string
	files             []string
}

// list runs go list over the module's packages and their dependencies:
// each package's directory, Go files and compiled export data.
func list(t *testing.T) map[string]pkgInfo {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH: cannot type-check the packages")
	}
	cmd := exec.Command(goTool, "list", "-tags", "k8s", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Dir}}\t{{.Export}}\t{{join .GoFiles \" \"}}", module+"/...")
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs := map[string]pkgInfo{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 4 {
			continue
		}
		pkgs[f[0]] = pkgInfo{path: f[0], dir: f[1], export: f[2], files: strings.Fields(f[3])}
	}
	return pkgs
}

// TestNoPackageVarAssigned type-checks every package of the module (its
// non-test files) and fails on any write to a package-level variable of
// the project (see mutations) outside its declaration and the package's
// init functions.
func TestNoPackageVarAssigned(t *testing.T) {
	pkgs := list(t)
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		p, ok := pkgs[path]
		if !ok || p.export == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(p.export)
	})
	checked := 0
	for path, p := range pkgs {
		if path != module && !strings.HasPrefix(path, module+"/") {
			continue
		}
		var files []*ast.File
		for _, name := range p.files {
			f, err := parser.ParseFile(fset, filepath.Join(p.dir, name), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
		info := &types.Info{Uses: map[*ast.Ident]types.Object{}}
		if _, err := (&types.Config{Importer: imp}).Check(path, fset, files, info); err != nil {
			t.Fatalf("type-checking %s: %v", path, err)
		}
		checked++
		for _, m := range mutations(fset, files, info) {
			t.Error(m + ": pass it as a value instead")
		}
	}
	if checked < 10 {
		t.Fatalf("checked %d packages of the module, want them all", checked)
	}
}

// mutations lists the writes to a package-level variable of the project,
// or to a field or element reached from one, in files: assignments
// (range clauses too), ++ and --, delete and clear, and taking its
// address, which lets a callee write it. The bodies checked are every
// function's but init's, and the function literals of package-level
// declarations (a table's functions, run later).
func mutations(fset *token.FileSet, files []*ast.File, info *types.Info) []string {
	var out []string
	report := func(e ast.Expr, where, what string) {
		if v := packageVar(info, e); v != nil {
			out = append(out, fmt.Sprintf("%s: %s %s the package-level variable %s.%s",
				fset.Position(e.Pos()), where, what, v.Pkg().Path(), v.Name()))
		}
	}
	check := func(where string, body ast.Node) {
		ast.Inspect(body, func(n ast.Node) bool {
			switch s := n.(type) {
			case *ast.AssignStmt:
				if s.Tok != token.DEFINE {
					for _, e := range s.Lhs {
						report(e, where, "assigns")
					}
				}
			case *ast.RangeStmt:
				if s.Tok == token.ASSIGN {
					for _, e := range []ast.Expr{s.Key, s.Value} {
						if e != nil {
							report(e, where, "assigns")
						}
					}
				}
			case *ast.IncDecStmt:
				report(s.X, where, "assigns")
			case *ast.UnaryExpr:
				if s.Op == token.AND {
					report(s.X, where, "takes the address of")
				}
			case *ast.CallExpr:
				if id, ok := ast.Unparen(s.Fun).(*ast.Ident); ok && len(s.Args) > 0 {
					if b, ok := info.Uses[id].(*types.Builtin); ok {
						switch b.Name() {
						case "delete":
							report(s.Args[0], where, "deletes from")
						case "clear":
							report(s.Args[0], where, "clears")
						}
					}
				}
			}
			return true
		})
	}
	for _, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Body != nil && (d.Recv != nil || d.Name.Name != "init") {
					check(d.Name.Name, d.Body)
				}
			case *ast.GenDecl:
				ast.Inspect(d, func(n ast.Node) bool {
					if fl, ok := n.(*ast.FuncLit); ok {
						check("a function literal of a package-level declaration", fl.Body)
						return false
					}
					return true
				})
			}
		}
	}
	return out
}

// packageVar returns the project's package-level variable that e (an
// assignment's target) is, or reaches through fields and elements.
func packageVar(info *types.Info, e ast.Expr) *types.Var {
	for {
		switch x := e.(type) {
		case *ast.ParenExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.StarExpr:
			e = x.X
		case *ast.SelectorExpr:
			if v := asPackageVar(info.Uses[x.Sel]); v != nil {
				return v // pkg.Var
			}
			e = x.X
		case *ast.Ident:
			return asPackageVar(info.Uses[x])
		default:
			return nil
		}
	}
}

func asPackageVar(o types.Object) *types.Var {
	v, ok := o.(*types.Var)
	if !ok || v.IsField() || v.Pkg() == nil || v.Parent() != v.Pkg().Scope() {
		return nil
	}
	if p := v.Pkg().Path(); p != module && !strings.HasPrefix(p, module+"/") {
		return nil
	}
	return v
}

// TestMutationsFound runs the check over a package that writes its
// variables every way it knows, and reads them in ways it must allow.
func TestMutationsFound(t *testing.T) {
	const src = `package p

type cfg struct{ n int; m map[string]int }

var (
	setting = 5
	table   = map[string]int{"a": 1}
	conf    = cfg{m: map[string]int{}}
	list    = []int{1, 2}
	hooks   = []func(){func() { setting = 7 }}
)

func init() { setting = 6; table["b"] = 2 }

func set(p *int) { *p = 1 }

func writes() {
	setting = 1
	setting++
	conf.n = 2
	list[0] = 3
	delete(table, "a")
	clear(list)
	set(&setting)
	for setting = range list {
	}
}

func reads() int {
	setting := setting + 1
	x := list[0] + conf.n + table["a"]
	for _, v := range list {
		x += v
	}
	return x + setting
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	info := &types.Info{Uses: map[*ast.Ident]types.Object{}}
	if _, err := (&types.Config{}).Check(module+"/fixture", fset, []*ast.File{f}, info); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range mutations(fset, []*ast.File{f}, info) {
		_, m, _ = strings.Cut(m, " ") // drop the position's file:line:col
		got = append(got, m)
	}
	want := []string{
		"a function literal of a package-level declaration assigns the package-level variable " + module + "/fixture.setting",
		"writes assigns the package-level variable " + module + "/fixture.setting",
		"writes assigns the package-level variable " + module + "/fixture.setting",
		"writes assigns the package-level variable " + module + "/fixture.conf",
		"writes assigns the package-level variable " + module + "/fixture.list",
		"writes deletes from the package-level variable " + module + "/fixture.table",
		"writes clears the package-level variable " + module + "/fixture.list",
		"writes takes the address of the package-level variable " + module + "/fixture.setting",
		"writes assigns the package-level variable " + module + "/fixture.setting",
	}
	if !slices.Equal(got, want) {
		t.Errorf("found:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

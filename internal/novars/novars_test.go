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
	cmd := exec.Command(goTool, "list", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Dir}}\t{{.Export}}\t{{join .GoFiles \" \"}}", module+"/...")
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
// non-test files) and fails on any assignment, ++ or -- whose target is a
// package-level variable of the project, or a field or element reached
// from one, outside the declaration and the package's init functions.
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
		for _, f := range files {
			for _, d := range f.Decls {
				fn, ok := d.(*ast.FuncDecl)
				if !ok || fn.Body == nil || (fn.Recv == nil && fn.Name.Name == "init") {
					continue
				}
				ast.Inspect(fn.Body, func(n ast.Node) bool {
					var targets []ast.Expr
					switch s := n.(type) {
					case *ast.AssignStmt:
						targets = s.Lhs
					case *ast.IncDecStmt:
						targets = []ast.Expr{s.X}
					}
					for _, e := range targets {
						if v := packageVar(info, e); v != nil {
							t.Errorf("%s: %s assigns the package-level variable %s.%s: pass it as a value instead",
								fset.Position(e.Pos()), fn.Name.Name, v.Pkg().Path(), v.Name())
						}
					}
					return true
				})
			}
		}
	}
	if checked < 10 {
		t.Fatalf("checked %d packages of the module, want them all", checked)
	}
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

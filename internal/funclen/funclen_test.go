package funclen

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// maxLines is the longest a function may be, from its func line to its
// closing brace.
const maxLines = 100

// covered are the folders checked, with every folder below them, from the
// module's root: all of it. Folders whose names start with a dot (.cache,
// .git) and testdata are not the project's code.
var covered = []string{"."}

// isTable tells whether body is a table: one statement that returns or
// assigns a composite literal.
func isTable(body *ast.BlockStmt) bool {
	if len(body.List) != 1 {
		return false
	}
	var exprs []ast.Expr
	switch s := body.List[0].(type) {
	case *ast.ReturnStmt:
		exprs = s.Results
	case *ast.AssignStmt:
		exprs = s.Rhs
	}
	for _, e := range exprs {
		if u, ok := e.(*ast.UnaryExpr); ok && u.Op == token.AND {
			e = u.X
		}
		if _, ok := e.(*ast.CompositeLit); ok {
			return true
		}
	}
	return false
}

// longFuncs returns "file:line name N lines" for every function of src
// (a Go file's text) longer than maxLines that is not a table.
func longFuncs(fset *token.FileSet, name string, src any) ([]string, error) {
	f, err := parser.ParseFile(fset, name, src, 0)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Body == nil || isTable(fn.Body) {
			continue
		}
		start, end := fset.Position(fn.Pos()), fset.Position(fn.End())
		if n := end.Line - start.Line + 1; n > maxLines {
			out = append(out, start.String()+" "+fn.Name.Name+" "+strconv.Itoa(n)+" lines")
		}
	}
	return out, nil
}

func TestNoLongFunctions(t *testing.T) {
	fset := token.NewFileSet()
	files := 0
	for _, dir := range covered {
		err := filepath.WalkDir(filepath.Join("..", "..", dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && d.Name() != "." && d.Name() != "..") {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.HasSuffix(path, "_bpfel.go") {
				return nil
			}
			files++
			long, err := longFuncs(fset, path, nil)
			for _, l := range long {
				t.Errorf("%s: split it into functions of at most %d lines", l, maxLines)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if files < 20 {
		t.Fatalf("read %d Go files under %v, want them all", files, covered)
	}
}

// TestLongFunctionFound: a function one line too long is reported, one
// at the limit and a long table are not.
func TestLongFunctionFound(t *testing.T) {
	body := func(n int) string { return strings.Repeat("\t_ = 1\n", n) }
	src := "package p\n\n" +
		"func atLimit() {\n" + body(maxLines-2) + "}\n\n" +
		"func tooLong() {\n" + body(maxLines-1) + "}\n\n" +
		"func table() []int {\n\treturn []int{\n" + strings.Repeat("\t\t1,\n", 2*maxLines) + "\t}\n}\n"
	got, err := longFuncs(token.NewFileSet(), "p.go", src)
	if err != nil {
		t.Fatal(err)
	}
	want := "p.go:" + strconv.Itoa(3+maxLines-2+3) + ":1 tooLong " + strconv.Itoa(maxLines+1) + " lines"
	if len(got) != 1 || got[0] != want {
		t.Errorf("found %q, want [%q]", got, want)
	}
}

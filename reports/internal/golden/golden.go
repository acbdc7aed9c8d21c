package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// Results reads the results file name of bench/compare/testdata.
func Results(t *testing.T, name string) *results.Results {
	t.Helper()
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot tell where the golden package is")
	}
	r, err := results.ReadResults(filepath.Join(filepath.Dir(self), "..", "..", "..", "bench", "compare", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Check compares got with testdata/golden/name, or rewrites it with -update.
func Check(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("%s differs from the golden file at line %d:\n got: %s\nwant: %s\n(run go test -update if the change is intended)", name, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s differs from the golden file in length: %d lines, want %d (run go test -update if intended)", name, len(gl), len(wl))
	}
}

// TablesWellFormed fails t for every markdown table row of md whose
// count of cell separators differs from its table's first row's.
func TablesWellFormed(t *testing.T, md string) {
	t.Helper()
	cols := 0
	for i, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			cols = 0
			continue
		}
		n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|")
		if cols == 0 {
			cols = n
		} else if n != cols {
			t.Errorf("line %d has %d pipes, its table %d: %s", i+1, n, cols, line)
		}
	}
}

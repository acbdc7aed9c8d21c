package reports

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/benchctl/benchctl/internal/fullfs"
	"github.com/benchctl/benchctl/reports/internal/golden"
)

// TestWriteChartsFullFileSystem: charts that cannot be written for want
// of room leave the chart that was there byte-identical and no empty SVG
// beside it.
func TestWriteChartsFullFileSystem(t *testing.T) {
	r := golden.Results(t, "base.json")
	charts, err := Charts(r)
	if err != nil || len(charts) == 0 {
		t.Fatalf("charts: %d, %v", len(charts), err)
	}
	dir := filepath.Join(fullfs.Mount(t), "charts")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, charts[0].Name+".svg")
	const oldSVG = "<svg>yesterday's chart</svg>\n"
	if err := os.WriteFile(old, []byte(oldSVG), 0o644); err != nil {
		t.Fatal(err)
	}
	fullfs.Fill(t, dir)
	if _, err := WriteCharts(dir, r); err == nil {
		t.Fatal("WriteCharts on a full file system succeeded")
	}
	if got, _ := os.ReadFile(old); string(got) != oldSVG {
		t.Errorf("%s now holds %d bytes: %.40q", filepath.Base(old), len(got), got)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if p := filepath.Join(dir, e.Name()); p != old && e.Name() != ".filler" {
			fi, _ := e.Info()
			t.Errorf("left behind: %s (%d bytes)", e.Name(), fi.Size())
		}
	}
}

package multifile

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/reports"
	"github.com/benchctl/benchctl/reports/internal/golden"
)

// TestGoldenMatrix: the host's real results beside a guest column that
// loads Falco's upstream driver (the host file with the refusals turned
// into loads, as 6.1 does, and marked TCG) and a kernel without results.
func TestGoldenMatrix(t *testing.T) {
	host, err := results.ReadResults(filepath.Join("..", "testdata", "load-host.json"))
	if err != nil {
		t.Fatal(err)
	}
	guest, _ := results.ReadResults(filepath.Join("..", "testdata", "load-host.json"))
	guest.Environment.Kernel, guest.Environment.Guest = "6.1.0-57-cloud-amd64", "qemu-tcg"
	patched := guest.LoadOf("getpid/falco-0.25.4")
	for i := range guest.Runs {
		if guest.Runs[i].Variant == "getpid/falco-0.25.4-upstream" {
			guest.Runs[i].Error, guest.Runs[i].Load = "", patched
		}
	}
	cols := []MatrixColumn{{Name: "host", Results: host}, {Name: "6.1", Results: guest}, {Name: "6.12", Missing: "exit status 3, no results file"}}
	for _, format := range []string{reports.FormatMarkdown, reports.FormatText} {
		var buf bytes.Buffer
		if err := Matrix(&buf, cols, format); err != nil {
			t.Fatal(err)
		}
		golden.Check(t, "matrix."+map[string]string{reports.FormatMarkdown: "md", reports.FormatText: "txt"}[format], buf.Bytes())
	}
	var buf bytes.Buffer
	if err := Matrix(&buf, cols, reports.FormatMarkdown); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, want := range []string{
		"| `getpid/falco-0.25.4-upstream` | ❌ verifier refused signal_deliver after 127 insns: R9 invalid mem access 'scalar' | ✅ 128,998 (12.9%) sendmmsg_x | — |",
		"`6.12`: no results: `exit status 3, no results file`",
		"| `getpid/falco-0.21.0` | `execve_x` | 139,043 | 139,043 | — |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("matrix lacks %q", want)
		}
	}
	buf.Reset()
	if err := Matrix(&buf, cols, reports.FormatText); err != nil || !strings.Contains(buf.String(), "6.1 (6.1.0-57-cloud-amd64) [TCG]") {
		t.Errorf("the text matrix does not mark the TCG guest (%v)", err)
	}
	if err := Matrix(&buf, cols, reports.FormatHTML); err == nil {
		t.Error("html matrix: want an error")
	}
}

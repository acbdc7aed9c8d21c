package reports

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/reports/internal/golden"
)

// TestGoldenLoad renders a real results file (scenarios/matrix.yaml on
// Linux 6.18.44, one round, 2026-12-02) in every format: its Load section
// lists each variant's programs with the largest first, Falco's upstream
// drivers as refused by the verifier at signal_deliver; CSV has the load
// columns and gobench the verified instructions.
func TestGoldenLoad(t *testing.T) {
	r, err := results.ReadResults(filepath.Join("testdata", "load-host.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			got := render(t, r, format, Options{})
			if format == FormatHTML {
				for _, want := range []string{">Load<", "signal_deliver", "execve_x", "139,043"} {
					if !bytes.Contains(got, []byte(want)) {
						t.Errorf("HTML lacks %q", want)
					}
				}
				return
			}
			golden.Check(t, "report-load."+goldenExt[format], got)
		})
	}
	md := string(render(t, r, FormatMarkdown, Options{}))
	load := md[strings.Index(md, "## Load"):]
	for _, want := range []string{
		"| `getpid/falco-0.25.4-upstream` | refused: verifier refused signal_deliver after 127 insns: R9 invalid mem access 'scalar' |",
		"| `getpid/falco-0.21.0` | yes | 339 | 2 | `execve_x` | 139,043 | 13.9% |",
	} {
		if !strings.Contains(load, want) {
			t.Errorf("the Load section lacks %q", want)
		}
	}
	// Largest first.
	if i, j := strings.Index(load, "| `execve_x` |"), strings.Index(load, "| `sched_proc_exit` |"); i < 0 || j < 0 || i > j {
		t.Errorf("execve_x (139,043) does not come before sched_proc_exit (114,233)")
	}
}

package reports

import (
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/reports/internal/golden"
)

// TestProvenanceSection: a file with provenance gets a section naming
// benchctl's build, the --set values and every tracer's command,
// executable and hash; a file without (schema 1) gets none.
func TestProvenanceSection(t *testing.T) {
	r := golden.Handmade()
	if md := string(render(t, r, FormatMarkdown, Options{})); strings.Contains(md, "## Provenance") {
		t.Error("a file without provenance has a Provenance section")
	}
	r.Provenance = &results.Provenance{
		Set:   map[string]string{"HEAD_BENCHCTL": "/ci/bin/benchctl-head", "TOKEN": results.Redacted},
		Build: results.Build{Module: "github.com/benchctl/benchctl", Version: "(devel)", Revision: "0123456789abcdef", Modified: true, GoVersion: "go1.26.0", Executable: "/ci/bin/benchctl-base", SHA256: "ff00"},
		Tracers: []results.TracerProvenance{
			{Name: "head", Argv: []string{"/ci/bin/benchctl-head", "trace", "--count"}, Executable: "/ci/bin/benchctl-head", SHA256: "bb22"},
			{Name: "sh", Argv: []string{"sleep 1"}, Shell: true, Error: "a shell command: no single executable"},
		},
	}
	md := string(render(t, r, FormatMarkdown, Options{}))
	for _, want := range []string{
		"## Provenance",
		"benchctl build: github.com/benchctl/benchctl (devel), revision 0123456789abcdef (modified work tree), go1.26.0, executable `/ci/bin/benchctl-base` sha256 ff00.",
		"Set with --set: `HEAD_BENCHCTL=/ci/bin/benchctl-head`, `TOKEN=[redacted]`.",
		"| `head` | /ci/bin/benchctl-head trace --count | `/ci/bin/benchctl-head` | bb22 |",
		"| `sh` | sleep 1 | — | — (a shell command: no single executable) |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md[strings.Index(md, "## Provenance"):])
		}
	}
}

// TestForeignWarning: runs that saw foreign programs on the syscall
// tracepoints get a warning at the top of the report naming them.
func TestForeignWarning(t *testing.T) {
	r := golden.Handmade()
	r.Runs[1].Foreign = []results.ForeignProgram{{ProgramID: 45, AttachPoint: "tracepoint/sys_enter", Holder: "bpftrace (pid 1234)"}}
	md := string(render(t, r, FormatMarkdown, Options{}))
	want := "Warning: 1 of 9 measured runs had BPF programs that were not theirs on the syscall tracepoints (another agent, a leftover tracer): `tracepoint/sys_enter: program 45, bpftrace (pid 1234)`."
	if !strings.Contains(md, want) {
		t.Errorf("report lacks %q:\n%s", want, md[:min(len(md), 1500)])
	}
}

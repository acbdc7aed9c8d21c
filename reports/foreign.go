package reports

import (
	"fmt"
	"strings"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/reports/page"
)

// foreignIntroParas is the warning at the top of a report whose runs
// had foreign BPF programs on the syscall tracepoints; nothing otherwise.
func foreignIntroParas(r *results.Results) []string {
	n, progs := r.ForeignSummary()
	if n == 0 {
		return nil
	}
	var names []string
	for _, p := range progs {
		names = append(names, "`"+page.SanitizeCode(p.String())+"`")
	}
	return []string{fmt.Sprintf("Warning: %d of %d measured runs had BPF programs that were not theirs on the syscall tracepoints (another agent, a leftover tracer): %s. "+
		"They ran on every syscall of every variant, baseline included; `benchctl run --strict` refuses to measure beside them.",
		n, len(r.Measured()), strings.Join(names, ", "))}
}

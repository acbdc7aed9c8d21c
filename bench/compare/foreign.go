package compare

import (
	"fmt"
	"strings"

	"github.com/benchctl/benchctl/bench/results"
)

// foreignWarnings says, per side, how many measured runs had foreign BPF
// programs on the syscall tracepoints, and which.
func foreignWarnings(base, head *results.Results) []string {
	var w []string
	for _, f := range []struct {
		side string
		r    *results.Results
	}{{"base", base}, {"head", head}} {
		n, progs := f.r.ForeignSummary()
		if n == 0 {
			continue
		}
		var names []string
		for _, p := range progs {
			names = append(names, p.String())
		}
		w = append(w, fmt.Sprintf("%s: %d of %d measured runs had foreign BPF programs on the syscall tracepoints, which slow every variant alike: %s",
			f.side, n, len(f.r.Measured()), strings.Join(names, "; ")))
	}
	return w
}

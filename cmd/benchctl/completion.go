package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/bench/compare"
	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/history"
	"github.com/benchctl/benchctl/probes"
	"github.com/benchctl/benchctl/reports"
	"github.com/benchctl/benchctl/reports/comparison"
)

// Shell completion: cobra's `benchctl completion bash|zsh|fish|powershell`
// writes the script, which asks `benchctl __complete` for the commands,
// the flags and, below, the values of the flags that take one of a few.

// flagValues are, per command path, the values of its flags that take
// one of a few.
func flagValues() map[string]map[string][]string {
	modes := []string{string(probes.ModeFloor), string(probes.ModeEnterExit), string(probes.ModeExitOnly)}
	toctou := []string{string(probes.TOCTOUNone), string(probes.TOCTOUStash), string(probes.TOCTOUEnterEvent)}
	accel := []string{"auto", "kvm", "tcg"}
	metrics := results.GateMetricNames()
	return map[string]map[string][]string{
		"benchctl report":        {"format": reports.Formats},
		"benchctl compare":       {"format": comparison.Formats, "inconclusive": {"fail", "pass"}, "allow-env-change": compare.EnvChanges, "threshold": withEquals(metrics)},
		"benchctl trace":         {"format": {"text", "json"}, "mode": modes, "toctou": toctou},
		"benchctl verify":        {"format": {"text", "markdown", "json"}, "toctou": toctou},
		"benchctl vm":            {"accel": accel},
		"benchctl matrix":        {"accel": accel, "format": {reports.FormatMarkdown, reports.FormatText}},
		"benchctl history show":  {"format": history.Formats, "metric": metrics, "merge": history.EnvKeys, "env": withEquals(history.EnvKeys)},
		"benchctl history check": {"metric": metrics, "threshold": withEquals(metrics)},
	}
}

// withEquals is each of names followed by "=", the start of a KEY=VALUE.
func withEquals(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n + "="
	}
	return out
}

// completeFlagValues registers the completion of flagValues' flags on
// the commands of root's tree.
func completeFlagValues(root *cobra.Command) {
	values := flagValues()
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for name, vs := range values[c.CommandPath()] {
			directive := cobra.ShellCompDirectiveNoFileComp
			if strings.HasSuffix(vs[0], "=") {
				directive |= cobra.ShellCompDirectiveNoSpace
			}
			// An error here is a flag name the table spells wrong:
			// TestFlagValuesNameFlags catches it.
			_ = c.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(vs, directive))
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

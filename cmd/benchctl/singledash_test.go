package main

import (
	"slices"
	"testing"

	"github.com/spf13/cobra"
)

// TestSingleDash: the long flags Go's flag package accepted with one dash
// still work, and --o and --q still name -o and -q; a flag's value, what
// follows "--" and the command line vm, trace and verify pass on are
// left as they are.
func TestSingleDash(t *testing.T) {
	flag := func(c *cobra.Command, name string) string {
		if f := c.Flags().Lookup(name); f != nil {
			return f.Value.String()
		}
		return "?"
	}
	for _, tc := range []struct {
		args       []string
		flag, want string
		pos        []string
	}{
		{[]string{"validate", "s.yaml", "-only", "a/*"}, "only", "a/*", []string{"s.yaml"}},
		{[]string{"validate", "-only=a/*", "s.yaml"}, "only", "a/*", []string{"s.yaml"}},
		{[]string{"validate", "-repetitions", "3", "s.yaml"}, "repetitions", "3", []string{"s.yaml"}},
		{[]string{"run", "s.yaml", "--o", "r.json"}, "output", "r.json", []string{"s.yaml"}},
		{[]string{"run", "s.yaml", "-o=r.json"}, "output", "r.json", []string{"s.yaml"}},
		{[]string{"run", "s.yaml", "--set", "-only"}, "set", "-only", []string{"s.yaml"}},
		{[]string{"run", "-o", "-only", "s.yaml"}, "output", "-only", []string{"s.yaml"}},
		{[]string{"report", "-format", "csv", "r.json"}, "format", "csv", []string{"r.json"}},
		{[]string{"vm", "-kernel", "k", "--q", "run", "s.yaml", "-timeout", "1s"}, "quiet", "true", []string{"run", "s.yaml", "-timeout", "1s"}},
		{[]string{"vm", "-kernel", "k", "--", "run", "-kernel"}, "kernel", "k", []string{"run", "-kernel"}},
		{[]string{"trace", "-mode", "exit_only", "-syscalls", "read", "cat", "-mode"}, "mode", "exit_only", []string{"cat", "-mode"}},
		{[]string{"history", "show", "-metric", "overhead"}, "metric", "overhead", nil},
	} {
		c, pos, err := parseCommandLine(tc.args)
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if got := flag(c, tc.flag); got != tc.want || !slices.Equal(pos, tc.pos) {
			t.Errorf("%q: --%s %q, arguments %q; want %q, %q", tc.args, tc.flag, got, pos, tc.want, tc.pos)
		}
	}
	if _, _, err := parseCommandLine([]string{"run", "s.yaml", "-nosuch"}); err == nil {
		t.Error("-nosuch accepted")
	}
}

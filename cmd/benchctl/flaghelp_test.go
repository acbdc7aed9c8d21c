package main

import (
	"io"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestScenarioFlagsHelp: each flag run and validate share states its
// default once, in words, and --warmup still overrides and checks.
func TestScenarioFlagsHelp(t *testing.T) {
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	var sf scenarioFlags
	sf.register(fs)
	help := fs.FlagUsages()
	for _, entry := range strings.Split(strings.TrimSpace(help), "\n") {
		if n := strings.Count(entry, "(default"); n > 1 {
			t.Errorf("flag help states its default %d times:\n%s", n, entry)
		}
	}
	if strings.Contains(help, "(default -1)") {
		t.Errorf("help shows the sentinel -1:\n%s", help)
	}

	fs.SetOutput(io.Discard)
	if err := fs.Parse([]string{"--warmup", "0"}); err != nil || !sf.warmup.set || sf.warmup.n != 0 {
		t.Errorf("--warmup 0: err %v, set %v, n %d", err, sf.warmup.set, sf.warmup.n)
	}
	if err := fs.Parse([]string{"--warmup", "two"}); err == nil {
		t.Error("--warmup two: no error")
	}
}

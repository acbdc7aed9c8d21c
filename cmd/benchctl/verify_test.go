package main

import (
	"os"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/fidelity"
	"github.com/benchctl/benchctl/probes"
)

func TestVerifyBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--toctou", "bogus"}, "toctou"},
		{[]string{"--syscalls", "opnat"}, "did you mean openat"},
		{[]string{"--format", "xml"}, "unknown format"},
		{[]string{"--max-events", "0"}, "--max-events"},
	} {
		err := cmdVerify(tc.args)
		if exitCode(err) != 2 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("verify %v: exit %d, error %v; want exit 2 mentioning %q", tc.args, exitCode(err), err, tc.want)
		}
	}
}

// TestVerifyCommand runs benchctl verify as a user does, on the built-in
// workload and on a command: every row ok, exit 0.
func TestVerifyCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("-short runs no probes, no redis and no tracers")
	}
	if os.Geteuid() != 0 {
		t.Skip("verify loads BPF programs: needs root (CI runs as root)")
	}
	if err := probes.CheckEnvironment(); err != nil {
		t.Skip(err)
	}
	for _, args := range [][]string{
		{"verify", "--toctou", "none,stash"},
		{"verify", "--toctou", "none", "--format", "markdown", "--", "cat", "/etc/hostname"},
	} {
		out, err := benchctl(args...).Output()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		s := string(out)
		if !strings.Contains(s, "verdict: every merged event says what its enter and exit events said") || strings.Contains(s, "MISMATCH:") {
			t.Errorf("%v:\n%s", args, s)
		}
		if !strings.Contains(s, "openat") || !strings.Contains(s, "read") {
			t.Errorf("%v: no openat or read row:\n%s", args, s)
		}
	}
}

// TestWriteFidelitySets: the verdict lists, per probe set, the events that
// reached userspace, those kept, and the late and dropped ones, zeros
// included, so a clean check shows it looked.
func TestWriteFidelitySets(t *testing.T) {
	rep := &fidelity.FidelityReport{Options: []probes.TOCTOU{probes.TOCTOUNone}, Rows: map[probes.TOCTOU][]fidelity.FidelityRow{},
		Drops: map[string]uint64{"enter_exit": 0, "exit_only/none": 5}, Late: map[string]uint64{"enter_exit": 2, "exit_only/none": 0},
		Received: map[string]uint64{"enter_exit": 224, "exit_only/none": 112}, Kept: map[string]uint64{"enter_exit": 220, "exit_only/none": 112}}
	var b strings.Builder
	writeFidelity(&b, rep, false)
	for _, want := range []string{
		"enter_exit: 224 events received, 220 kept, 2 late, 0 dropped",
		"exit_only/none: 112 events received, 112 kept, 0 late, 5 dropped",
		"verdict: COULD NOT CHECK",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}

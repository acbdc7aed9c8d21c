package main

import (
	"os"
	"strings"
	"testing"

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

package reports

import (
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/reports/internal/golden"
)

// TestFingerprintScope: the report says whose syscalls the fingerprint
// counted; a file that does not say counted the whole machine's.
func TestFingerprintScope(t *testing.T) {
	for scope, want := range map[string]string{
		"":                         "syscalls on the whole machine",
		results.FingerprintMachine: "syscalls on the whole machine",
		results.FingerprintCgroup:  "syscalls in its cgroup",
		results.FingerprintProcess: "syscalls in benchctl's process",
	} {
		r := golden.Results(t, "base.json")
		r.Fingerprint.Scope = scope
		if got := string(render(t, r, FormatMarkdown, Options{})); !strings.Contains(got, want) {
			t.Errorf("scope %q: the report does not say %q", scope, want)
		}
	}
}

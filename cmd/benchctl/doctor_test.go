package main

import (
	"os"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/probes"
)

// TestDoctor runs `benchctl doctor` as a user does. As root on a machine
// that can load probes (CI), every required check passes and it exits 0,
// having really attached the floor programs; as another user it exits 3
// and says that privileges are missing.
func TestDoctor(t *testing.T) {
	if testing.Short() {
		t.Skip("-short runs no probes, no redis and no tracers")
	}
	cmd := benchctl("doctor")
	out, err := cmd.CombinedOutput()
	text := string(out)
	if os.Geteuid() != 0 {
		if exitStatus(err) != 3 || !strings.Contains(text, "privileges") {
			t.Errorf("doctor as a user: exit %d, output:\n%s\nwant exit 3 naming privileges", exitStatus(err), text)
		}
		return
	}
	if probes.CheckEnvironment() != nil {
		if exitStatus(err) != 3 {
			t.Errorf("doctor where probes cannot load: exit %d, want 3", exitStatus(err))
		}
		return
	}
	if err != nil {
		t.Fatalf("doctor: %v; output:\n%s", err, text)
	}
	for _, want := range []string{"[ok  ] privileges", "[ok  ] BTF", "[ok  ] tp_btf attach", "floor programs loaded and attached", "[ok  ] BPF stats"} {
		if !strings.Contains(text, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "[FAIL]") {
		t.Errorf("doctor exited 0 with a failed check:\n%s", text)
	}
}

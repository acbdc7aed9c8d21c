package bench

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/scenario"
)

// TestCollectProvenance: each used tracer's resolved argv with its
// secrets redacted (a --set value with a secret name wherever it
// appears, NAME=VALUE and --name=value arguments, the argument after a
// --password flag), its executable and that file's SHA-256; the --set
// values (secrets redacted); this binary's build. A tracer no variant
// uses is left out, and a shell tracer says why it has no hash.
func TestCollectProvenance(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "tracer")
	body := []byte("#!/bin/sh\nexit 0\n")
	if err := os.WriteFile(exe, body, 0o755); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	sc := &scenario.Scenario{Tracers: []scenario.TracerSpec{
		{Name: "t", Argv: []string{exe, "--auth=s3cr3t-v4lue", "API_TOKEN=abc123", "--password", "hunter22", "--level", "3"},
			Env: []string{"DB_PASSWORD=pw-1", "MODE=fast"}, SetArgs: map[string][]string{"getpid": {"-p", "s3cr3t-v4lue"}}},
		{Name: "sh", Argv: []string{"sleep 1"}, Shell: true},
		{Name: "unused", Argv: []string{exe}},
	}}
	variants := []results.Variant{{Name: "getpid/t", Mode: results.ModeExternal, Tracer: "t"}, {Name: "getpid/sh", Mode: results.ModeExternal, Tracer: "sh"}}
	p := collectProvenance(sc, variants, map[string]string{"MY_SECRET": "s3cr3t-v4lue", "TRACER": exe})
	if len(p.Tracers) != 2 || p.Tracers[0].Name != "t" || p.Tracers[1].Name != "sh" {
		t.Fatalf("tracers %+v, want t and sh", p.Tracers)
	}
	tp := p.Tracers[0]
	wantArgv := []string{exe, "--auth=[redacted]", "API_TOKEN=[redacted]", "--password", "[redacted]", "--level", "3"}
	if !slices.Equal(tp.Argv, wantArgv) {
		t.Errorf("argv %q, want %q", tp.Argv, wantArgv)
	}
	if !slices.Equal(tp.Env, []string{"DB_PASSWORD=[redacted]", "MODE=fast"}) || !slices.Equal(tp.SetArgs["getpid"], []string{"-p", "[redacted]"}) {
		t.Errorf("env %q, set args %q", tp.Env, tp.SetArgs)
	}
	if tp.Executable != exe || tp.SHA256 != hex.EncodeToString(sum[:]) || tp.Error != "" {
		t.Errorf("executable %q sha256 %q (%s), want %q %x", tp.Executable, tp.SHA256, tp.Error, exe, sum)
	}
	if sh := p.Tracers[1]; sh.SHA256 != "" || !strings.Contains(sh.Error, "shell") {
		t.Errorf("shell tracer: %+v", sh)
	}
	if p.Set["MY_SECRET"] != results.Redacted || p.Set["TRACER"] != exe {
		t.Errorf("set %v", p.Set)
	}
	// The test binary is a Go binary: its build is known, and hashed.
	if p.Build.GoVersion == "" || len(p.Build.SHA256) != 64 || p.Build.Executable == "" {
		t.Errorf("build %+v", p.Build)
	}
	for _, s := range append(append(tp.Argv, tp.Env...), tp.SetArgs["getpid"]...) {
		if strings.Contains(s, "s3cr3t") || strings.Contains(s, "hunter22") || strings.Contains(s, "abc123") || strings.Contains(s, "pw-1") {
			t.Errorf("a secret survived: %q", s)
		}
	}
}

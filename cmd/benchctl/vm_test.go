package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestVMBadInput(t *testing.T) {
	kernel := filepath.Join(t.TempDir(), "vmlinuz")
	if err := os.WriteFile(kernel, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{"--", "doctor"}, "--kernel is required", 2},
		{[]string{"--kernel", kernel}, "no command", 2},
		{[]string{"--kernel", kernel, "--bogus", "--", "doctor"}, "bogus", 2},
		{[]string{"--kernel", kernel, "--benchctl", "/no/such/benchctl", "--", "doctor"}, "/no/such/benchctl", 3},
	} {
		err := vmCmd(tc.args)
		if exitCode(err) != tc.code || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("vm %v: exit %d, error %v; want exit %d mentioning %q", tc.args, exitCode(err), err, tc.code, tc.want)
		}
	}
}

// TestParseVMArgs: the guest's own flags, after "--" or after the first
// argument, are passed through, not parsed as vm's.
func TestParseVMArgs(t *testing.T) {
	for _, tc := range []struct {
		args, want []string
	}{
		{[]string{"--kernel", "k", "--", "run", "x.yaml", "-o", "r.json"}, []string{"run", "x.yaml", "-o", "r.json"}},
		{[]string{"--kernel", "k", "doctor", "--timeout", "1s"}, []string{"doctor", "--timeout", "1s"}},
		{[]string{"--kernel", "k", "--sh", "--", "probes.test", "-test.v"}, []string{"probes.test", "-test.v"}},
	} {
		_, got, err := parseCommandLine(append([]string{"vm"}, tc.args...))
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%v: got %v, %v; want %v", tc.args, got, err, tc.want)
		}
	}
}

// TestVMEnvKey: a --env key that is not a variable name is refused
// before anything runs (the guest's /init sources it as shell code).
func TestVMEnvKey(t *testing.T) {
	kernel := filepath.Join(t.TempDir(), "vmlinuz")
	if err := os.WriteFile(kernel, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, kv := range []string{"X$(id)=1", "1A=b", "novalue", "A B=c"} {
		err := vmCmd([]string{"--kernel", kernel, "--benchctl", "/no/such/benchctl", "--env", kv, "--", "doctor"})
		if exitCode(err) != 2 || !strings.Contains(err.Error(), "env") {
			t.Errorf("vm --env %q: exit %d, error %v; want exit 2 about env", kv, exitCode(err), err)
		}
	}
}

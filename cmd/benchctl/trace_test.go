package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/probes"
)

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

func TestTraceBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--mode", "bogus", "--syscalls", "read", "--", "true"}, "unknown mode"},
		{[]string{"--mode", "exit_only", "--syscalls", "opnat", "--", "true"}, "did you mean openat"},
		{[]string{"--mode", "exit_only", "--syscalls", ",", "--", "true"}, "--syscalls is empty"},
		{[]string{"--mode", "exit_only", "--syscalls", "read"}, "no command"},
		{[]string{"--mode", "enter_exit", "--toctou", "stash", "--syscalls", "read", "--", "true"}, "exit_only only"},
		{[]string{"--mode", "exit_only", "--syscalls", "read", "--format", "xml", "--", "true"}, "unknown format"},
		{[]string{"--mode", "exit_only", "--syscalls", "read", "--", "/no/such/program"}, "no/such/program"},
	} {
		err := cmdTrace(tc.args)
		if exitCode(err) != 2 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("trace %v: exit %d, error %v; want exit 2 mentioning %q", tc.args, exitCode(err), err, tc.want)
		}
	}
}

// TestTraceJSON traces cat reading a known file and checks the JSON lines:
// the openat of that file appears as an enter/exit pair in enter_exit and
// as one merged exit event in exit_only; events of other processes do not.
func TestTraceJSON(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("trace loads BPF programs: needs root (CI runs as root)")
	}
	if err := probes.CheckEnvironment(); err != nil {
		t.Skip(err)
	}
	file := filepath.Join(t.TempDir(), "traced-file")
	os.WriteFile(file, []byte("payload"), 0o600)
	for _, mode := range []probes.Mode{probes.ModeEnterExit, probes.ModeExitOnly} {
		t.Run(string(mode), func(t *testing.T) {
			var out, stderr bytes.Buffer
			err := trace(traceOptions{
				cfg:  probes.Config{Mode: mode, Syscalls: []string{"openat", "read"}},
				argv: []string{"cat", file}, json: true, out: &out, stderr: &stderr,
			})
			if err != nil {
				t.Fatal(err)
			}
			var opens, enters int
			pids := map[uint32]bool{}
			for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
				var ev jsonEvent
				if err := json.Unmarshal([]byte(line), &ev); err != nil {
					t.Fatalf("bad JSON line %q: %v", line, err)
				}
				pids[ev.Pid] = true
				if ev.Dir == "enter" {
					enters++
				}
				if ev.Syscall == "openat" && ev.Params["name"] == file {
					opens++
					if ev.Dir == "exit" {
						if _, ok := ev.Params["res"]; !ok {
							t.Errorf("exit event without res: %s", line)
						}
					}
				}
				if ev.Syscall == "read" && ev.Dir == "exit" && ev.Params["data"] == "payload" && ev.Params["res"] != float64(7) {
					t.Errorf("read of the file: %s", line)
				}
			}
			if len(pids) != 1 {
				t.Errorf("events from %d processes, want only cat's: %v", len(pids), pids)
			}
			switch mode {
			case probes.ModeEnterExit:
				if opens != 1 {
					t.Errorf("enter_exit: %d openat events name the file, want 1 (the enter)", opens)
				}
			case probes.ModeExitOnly:
				if opens != 1 || enters != 0 {
					t.Errorf("exit_only: %d openat events name the file, %d enter events; want 1 and 0", opens, enters)
				}
			}
			if !strings.Contains(stderr.String(), "events received") || !strings.Contains(stderr.String(), "sys_exit") {
				t.Errorf("no stats block on stderr:\n%s", stderr.String())
			}
		})
	}
}

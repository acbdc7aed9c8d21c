package main

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cilium/ebpf"

	"github.com/benchctl/benchctl/probes"
)

// TestMain lets a test run the benchctl binary's main in a subprocess:
// BENCHCTL_RUN_MAIN=1 makes the test binary behave as benchctl.
func TestMain(m *testing.M) {
	if os.Getenv("BENCHCTL_RUN_MAIN") == "1" {
		os.Args = append([]string{"benchctl"}, os.Args[1:]...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func benchctl(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "BENCHCTL_RUN_MAIN=1")
	return cmd
}

// ourPrograms lists the IDs of loaded BPF programs named like our dispatchers.
func ourPrograms(t *testing.T) map[ebpf.ProgramID]string {
	t.Helper()
	names := map[ebpf.ProgramID]string{}
	id := ebpf.ProgramID(0)
	for {
		next, err := ebpf.ProgramGetNextID(id)
		if errors.Is(err, os.ErrNotExist) {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		id = next
		prog, err := ebpf.NewProgramFromID(id)
		if err != nil {
			continue
		}
		info, err := prog.Info()
		prog.Close()
		if err != nil {
			continue
		}
		switch info.Name {
		case "sys_enter", "sys_exit", "floor_enter", "floor_exit":
			names[id] = info.Name
		}
	}
}

// TestTraceInterrupt: Ctrl-C during a trace reaches the command, the
// trace ends, and nothing of ours stays loaded.
func TestTraceInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("-short runs no probes, no redis and no tracers")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root (CI runs as root)")
	}
	if err := probes.CheckEnvironment(); err != nil {
		t.Skip(err)
	}
	// Programs loaded by something else (another test binary) are not ours.
	before := ourPrograms(t)
	mine := func() []ebpf.ProgramID {
		var ids []ebpf.ProgramID
		for id := range ourPrograms(t) {
			if _, old := before[id]; !old {
				ids = append(ids, id)
			}
		}
		return ids
	}
	cmd := benchctl("trace", "--mode", "enter_exit", "--syscalls", "nanosleep,clock_nanosleep", "--", "sleep", "30")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	var loaded []ebpf.ProgramID
	for len(loaded) < 2 {
		loaded = mine()
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the probes never appeared; stderr:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The handler is in place before the probes load: no need to wait.
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("trace did not end after SIGINT")
	}
	if !strings.Contains(stderr.String(), "STATS") {
		t.Errorf("no stats block after SIGINT:\n%s", stderr.String())
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		var left []ebpf.ProgramID
		for _, id := range loaded {
			if p, err := ebpf.NewProgramFromID(id); err == nil {
				p.Close()
				left = append(left, id)
			}
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("programs left loaded after SIGINT: %v", left)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

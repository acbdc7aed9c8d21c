package workloads

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv selects what TestHelperProcess does when the test binary is
// re-executed as a helper.
const helperEnv = "BENCHCTL_WORKLOADS_HELPER"

// requireRoot skips the test when not running as root.
func requireRoot(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short runs no probes, no redis and no tracers")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root (CAP_DAC_READ_SEARCH for open_by_handle_at)")
	}
}

// alive reports whether pid is a live (not zombie) process.
func alive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) S ...: the state follows the last ')'.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return false
	}
	return s[i+2] != 'Z' && s[i+2] != 'X'
}

// groupAlive reports whether any live process is in process group pgid.
func groupAlive(pgid int) bool {
	if err := syscall.Kill(-pgid, 0); err == syscall.ESRCH {
		return false
	}
	// Zombies still count for kill(2); look for a live member.
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return true
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, err := syscall.Getpgid(pid); err == nil && p == pgid && alive(pid) {
			return true
		}
	}
	return false
}

// waitGone waits up to 5 s for pid to die (for deaths that are signalled
// asynchronously, such as the parent death signal).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still alive", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// portClosed reports whether nothing accepts TCP connections on
// 127.0.0.1:port.
func portClosed(port int) bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
	if err != nil {
		return true
	}
	c.Close()
	return false
}

// waitForFile waits for path to hold a line and returns it.
func waitForFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, err := os.ReadFile(path)
		if err == nil && strings.HasSuffix(string(data), "\n") {
			return strings.TrimSpace(string(data))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not written in time", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// helperCommand re-executes the test binary as a helper doing what.
func helperCommand(what string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+what)
	return cmd
}

// TestHelperProcess is not a test: it is the body of the helper processes
// the tests start by re-executing the test binary.
//
//	child-sleep:PIDFILE    starts "sleep 60" with startChild, writes its pid
//	                       to PIDFILE and waits to be killed
//	mix:NAME:COUNT         runs the syscalls mix NAME, COUNT ops on 1 thread
func TestHelperProcess(t *testing.T) {
	what := os.Getenv(helperEnv)
	if what == "" {
		t.Skip("helper process only")
	}
	if err := helperMain(what); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	os.Exit(0)
}

func helperMain(what string) error {
	kind, arg, _ := strings.Cut(what, ":")
	switch kind {
	case "child-sleep":
		c, err := startChild(exec.Command("sleep", "60"))
		if err != nil {
			return err
		}
		if err := os.WriteFile(arg, []byte(strconv.Itoa(c.pid)+"\n"), 0o600); err != nil {
			return err
		}
		select {} // until killed
	case "mix":
		name, countStr, _ := strings.Cut(arg, ":")
		count, err := strconv.ParseInt(countStr, 10, 64)
		if err != nil {
			return err
		}
		w, err := NewSyscalls(SyscallsConfig{Mix: name, Count: count})
		if err != nil {
			return err
		}
		defer w.Close()
		if err := w.Prepare(context.Background()); err != nil {
			return err
		}
		res, err := w.Run(context.Background())
		if err != nil {
			return err
		}
		fmt.Println("ops", res.Ops)
		return w.Close()
	}
	return fmt.Errorf("unknown helper %q", what)
}

package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/bench/scenario"
	"github.com/benchctl/benchctl/internal/cgroupv2"
)

// TestTracersNeedCgroup2: on a host without cgroup v2, a scenario with an
// external tracer exits 3 before anything runs; one without needs none.
// As root with cgroup v2, one with a tracer passes, and leaves no cgroup.
func TestTracersNeedCgroup2(t *testing.T) {
	none := func() (string, error) { return "", errors.New("no cgroup v2 hierarchy is mounted") }
	withTracer := []results.Variant{{Name: "base"}, {Name: "falco", Tracer: "scap-open"}}
	own := []results.Variant{{Name: "base"}, {Name: "s/exit_only"}}
	err := tracersNeedCgroup2(withTracer, none)
	if exitCode(err) != 3 || !strings.Contains(err.Error(), "scap-open") || !strings.Contains(err.Error(), "cgroup v2") {
		t.Errorf("tracer, no cgroup v2: exit %d, %v; want exit 3 naming the tracer and cgroup v2", exitCode(err), err)
	}
	if err := tracersNeedCgroup2(own, none); err != nil {
		t.Errorf("no tracer, no cgroup v2: %v", err)
	}
	mnt, err := cgroupv2.Mount()
	if err != nil || os.Geteuid() != 0 {
		t.Skipf("making a cgroup needs cgroup v2 (%v) and root", err)
	}
	before, _ := filepath.Glob(filepath.Join(mnt, "benchctl-check-*"))
	if err := tracersNeedCgroup2(withTracer, cgroupv2.Mount); err != nil {
		t.Errorf("tracer, cgroup v2 here: %v", err)
	}
	if after, _ := filepath.Glob(filepath.Join(mnt, "benchctl-check-*")); len(after) != len(before) {
		t.Errorf("cgroups left behind: %v", after)
	}
}

// TestTracersNeedWritableCgroup2: on a read-only cgroupfs (a real one: the
// cgroup v2 hierarchy mounted again, read-only), where every tracer run
// would fail with EROFS, a scenario with an external tracer exits 3
// before anything runs, saying why.
func TestTracersNeedWritableCgroup2(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a cgroupfs needs root")
	}
	if _, err := cgroupv2.Mount(); err != nil {
		t.Skipf("no cgroup v2 here: %v", err)
	}
	ro := t.TempDir()
	if err := syscall.Mount("none", ro, "cgroup2", syscall.MS_RDONLY, ""); err != nil {
		t.Skipf("cannot mount cgroup2 read-only: %v", err)
	}
	defer syscall.Unmount(ro, syscall.MNT_DETACH)
	withTracer := []results.Variant{{Name: "base"}, {Name: "falco", Tracer: "scap-open"}}
	err := tracersNeedCgroup2(withTracer, func() (string, error) { return ro, nil })
	if exitCode(err) != 3 || !strings.Contains(err.Error(), "scap-open") || !errors.Is(err, syscall.EROFS) {
		t.Errorf("read-only cgroupfs: exit %d, %v; want exit 3 naming the tracer and EROFS", exitCode(err), err)
	}
}

// TestShellTracerValidate: validate checks a shell tracer's program as an
// argv tracer's (exit 3 naming it), and says when it cannot.
func TestShellTracerValidate(t *testing.T) {
	dir := t.TempDir()
	write := func(script string) string {
		p := filepath.Join(dir, "s.yaml")
		os.WriteFile(p, []byte(`name: s
workload: {type: syscalls, mix: getpid, threads: 1, count: 1000}
sets: {getpid: [getpid]}
floor: false
tracers:
  t:
    shell: true
    argv: ['`+script+`']
    sets: {getpid: []}
`), 0o600)
		return p
	}
	err := validateCmd([]string{write(`/nonexistent/benchctl-tracer "$@"`)})
	if exitCode(err) != 3 || !strings.Contains(err.Error(), "/nonexistent/benchctl-tracer") {
		t.Errorf("shell tracer with a missing program: exit %d, %v; want 3 naming it", exitCode(err), err)
	}
	sc, err := scenario.Parse(write(`cd /tmp && tracer`))
	if err != nil {
		t.Fatal(err)
	}
	vs, _ := sc.Expand()
	if u := uncheckedTracers(sc, vs); len(u) != 1 || !strings.Contains(u[0], "not checked") {
		t.Errorf("unchecked tracers %v", u)
	}
}

// TestPrintStale: one line per stale cgroup, saying what was removed and
// how many processes were killed, and the failures as warnings.
func TestPrintStale(t *testing.T) {
	var b bytes.Buffer
	printStale(&b, []cgroupv2.Stale{
		{Path: "/sys/fs/cgroup/benchctl-tracer-41-1", Owner: 41, Why: "no process 41", Killed: 2},
		{Path: "/sys/fs/cgroup/benchctl-trace-42-3", Owner: 42, Why: "pid 42 is now sleep, not benchctl", Killed: 1},
		{Path: "/sys/fs/cgroup/benchctl-verify-43-1", Owner: 43, Why: "no process 43", Killed: 1, Err: errors.New("cgroup still holds processes [7]")},
	}, errors.New("listing cgroups: permission denied"))
	want := `benchctl: warning: looking for stale cgroups: listing cgroups: permission denied
benchctl: removed stale cgroup /sys/fs/cgroup/benchctl-tracer-41-1 (no process 41), killed 2 processes
benchctl: removed stale cgroup /sys/fs/cgroup/benchctl-trace-42-3 (pid 42 is now sleep, not benchctl), killed 1 process
benchctl: warning: stale cgroup /sys/fs/cgroup/benchctl-verify-43-1 (no process 43) not removed, 1 process found in it: cgroup still holds processes [7]
`
	if b.String() != want {
		t.Errorf("printStale wrote\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	printStale(&b, nil, nil)
	if b.Len() != 0 {
		t.Errorf("nothing stale: printStale wrote %q, want nothing", b.String())
	}
}

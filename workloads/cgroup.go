package workloads

import (
	"errors"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/benchctl/benchctl/internal/cgroupv2"
)

// cgroupDestroyTimeout bounds the wait for a workload cgroup's processes
// to die when it is removed.
const cgroupDestroyTimeout = 5 * time.Second

// Cgroup is the cgroup v2 a workload's child processes run in (redis-server
// and redis-benchmark, a command), named benchctl-workload-<pid>-<n>, with
// a watchdog that kills what is left in it and removes it should benchctl
// die. Its cpu.stat is the workload's CPU time, kernel time included (the
// BPF programs run in the context of the tasks whose syscalls they
// trace); for the noise meter it is benchctl's own.
type Cgroup struct {
	cg  *cgroupv2.Cgroup
	dog *watchdog

	mu     sync.Mutex
	reaped time.Duration
}

// newCgroup makes a workload's cgroup; nil, with the error, when there
// can be none (no cgroup v2, no privilege): the workload then runs
// without one, and its CPU time is not measured.
func newCgroup() (*Cgroup, error) {
	cg, err := cgroupv2.New("benchctl-workload")
	if err != nil {
		return nil, err
	}
	dog, err := startWatchdog(cg.Path, "")
	if err != nil {
		_ = cg.Close()
		return nil, err
	}
	return &Cgroup{cg: cg, dog: dog}, nil
}

// put makes cmd start in the cgroup (CLONE_INTO_CGROUP); its children
// stay there. A nil Cgroup leaves cmd as it is.
func (g *Cgroup) put(cmd *exec.Cmd) {
	if g == nil {
		return
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.UseCgroupFD = true
	cmd.SysProcAttr.CgroupFD = g.cg.FD()
}

// CPUSeconds is the CPU time (user + system) of every process the cgroup
// ever held, from its cpu.stat.
func (g *Cgroup) CPUSeconds() (float64, error) {
	s, err := g.cg.CPU()
	if err != nil {
		return 0, err
	}
	return s.Usage.Seconds(), nil
}

// cpu is CPUSeconds, an error for a nil Cgroup.
func (g *Cgroup) cpu() (float64, error) {
	if g == nil {
		return 0, errNoCgroup
	}
	return g.CPUSeconds()
}

var errNoCgroup = errors.New("the workload has no cgroup")

// FD is the cgroup directory's descriptor, for a BPF program that
// filters on the cgroup (probes.CountOptions).
func (g *Cgroup) FD() int { return g.cg.FD() }

// Pids lists the processes in the cgroup.
func (g *Cgroup) Pids() ([]int, error) { return g.cg.Procs() }

// ReapedSeconds is the CPU time of the cgroup's processes that benchctl
// has reaped (their rusage at wait, their own reaped children included):
// it is in benchctl's RUSAGE_CHILDREN as well as in the cgroup's
// cpu.stat, and whoever adds both up takes it out once.
func (g *Cgroup) ReapedSeconds() float64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.reaped.Seconds()
}

// addReaped records the CPU time of a child of the cgroup benchctl
// reaped.
func (g *Cgroup) addReaped(c *child) {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.reaped += c.cpu
}

// close kills what is left in the cgroup, removes it and lets its
// watchdog go.
func (g *Cgroup) close() error {
	if g == nil {
		return nil
	}
	_, err := g.cg.Destroy(cgroupDestroyTimeout)
	if err == nil {
		g.dog.Close()
	}
	return err
}

// Package cgroupv2 makes, watches and removes cgroup v2 directories that
// each hold one process tree: a traced command (probes), an external
// tracer or a workload's processes (workloads). RemoveStale removes those
// that a benchctl which is gone left behind, with what still runs in them.
//
// A process is put into a cgroup at fork with
// SysProcAttr{UseCgroupFD: true, CgroupFD: cg.FD()} (CLONE_INTO_CGROUP),
// and its children stay there, so the cgroup follows the whole tree.
// Everything here needs only the cgroup core files (cgroup.procs,
// cgroup.events, cgroup.kill, cpu.stat), which exist in every non-root v2
// cgroup whatever controllers are enabled, so it works on hybrid systems
// where cpu and memory are still on cgroup v1. memory.peak exists only
// where the v2 memory controller is enabled.
package cgroupv2

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/benchctl/benchctl/internal/mountinfo"
	"golang.org/x/sys/unix"
)

// seq makes cgroup names unique within this process.
var seq atomic.Uint64

// Cgroup is a cgroup v2 directory made by New.
type Cgroup struct {
	Path string // absolute path of the directory
	ID   uint64 // inode number, as bpf_get_current_cgroup_id returns it

	fd int

	mu      sync.Mutex
	fdOpen  bool
	removed bool
}

// Mount returns where the cgroup v2 hierarchy is mounted (the first
// cgroup2 mount in /proc/self/mountinfo), or an error when none is.
func Mount() (string, error) {
	mnt, ok, err := mountinfo.Find(func(fstype string, _ []string) bool { return fstype == "cgroup2" })
	if err != nil {
		return "", err
	}
	if !ok {
		return "", errors.New("no cgroup v2 hierarchy is mounted")
	}
	return mnt, nil
}

// New makes a fresh cgroup directly under the cgroup v2 mount, named
// <prefix>-<pid>-<n> with n unique within this process.
func New(prefix string) (*Cgroup, error) {
	mnt, err := Mount()
	if err != nil {
		return nil, err
	}
	return newUnder(mnt, prefix)
}

// CheckWritable makes a cgroup directly under mnt, as New does, and
// removes it again: it fails where New would, on a read-only cgroupfs
// (EROFS) or a hierarchy this process may not write, before anything
// relies on making one. A cgroup it leaves behind, should benchctl be
// killed in between, is named as New's are, for RemoveStale.
func CheckWritable(mnt string) error {
	cg, err := newUnder(mnt, "benchctl-check")
	if err != nil {
		return err
	}
	return cg.Close()
}

// newUnder is New under the mount mnt.
func newUnder(mnt, prefix string) (*Cgroup, error) {
	var path string
	var err error
	for tries := 0; ; tries++ {
		path = filepath.Join(mnt, fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), seq.Add(1)))
		err = os.Mkdir(path, 0o755)
		if err == nil {
			break
		}
		// A leftover of an earlier process with the same pid: skip it.
		if !errors.Is(err, os.ErrExist) || tries >= 100 {
			return nil, fmt.Errorf("creating cgroup: %w", err)
		}
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("opening cgroup: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		_ = unix.Close(fd)
		_ = os.Remove(path)
		return nil, fmt.Errorf("opening cgroup: %w", err)
	}
	return &Cgroup{Path: path, ID: st.Ino, fd: fd, fdOpen: true}, nil
}

// FD is the directory's descriptor, for SysProcAttr.CgroupFD. It is
// valid until Close.
func (c *Cgroup) FD() int { return c.fd }

// Procs returns the processes (thread group ids) in the cgroup itself,
// from cgroup.procs. Exited processes are not listed, even before they
// are reaped.
func (c *Cgroup) Procs() ([]int, error) {
	data, err := os.ReadFile(filepath.Join(c.Path, "cgroup.procs"))
	if err != nil {
		return nil, fmt.Errorf("reading cgroup processes: %w", err)
	}
	var pids []int
	for _, f := range strings.Fields(string(data)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("reading cgroup processes: bad pid %q", f)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// CPUStat is the CPU time used by the cgroup's processes since the
// cgroup was made, exited processes included (cpu.stat).
type CPUStat struct {
	Usage, User, System time.Duration
}

// CPU reads cpu.stat (usage_usec, user_usec, system_usec), which every
// v2 cgroup has, with or without the cpu controller.
func (c *Cgroup) CPU() (CPUStat, error) {
	data, err := os.ReadFile(filepath.Join(c.Path, "cpu.stat"))
	if err != nil {
		return CPUStat{}, fmt.Errorf("reading cgroup CPU usage: %w", err)
	}
	var s CPUStat
	found := 0
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		var dst *time.Duration
		switch k {
		case "usage_usec":
			dst = &s.Usage
		case "user_usec":
			dst = &s.User
		case "system_usec":
			dst = &s.System
		default:
			continue
		}
		us, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return CPUStat{}, fmt.Errorf("reading cgroup CPU usage: bad %s %q", k, v)
		}
		*dst = time.Duration(us) * time.Microsecond
		found++
	}
	if found < 3 {
		return CPUStat{}, fmt.Errorf("reading cgroup CPU usage: %s lacks usage_usec, user_usec or system_usec", filepath.Join(c.Path, "cpu.stat"))
	}
	return s, nil
}

// MemoryPeak reads memory.peak, the most memory the cgroup has used.
// ok is false when the file does not exist (the memory controller is not
// enabled for cgroup v2, or the kernel is older than 5.19).
func (c *Cgroup) MemoryPeak() (bytes uint64, ok bool, err error) {
	data, err := os.ReadFile(filepath.Join(c.Path, "memory.peak"))
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("reading cgroup memory peak: %w", err)
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("reading cgroup memory peak: bad value %q", strings.TrimSpace(string(data)))
	}
	return v, true, nil
}

// Kill sends SIGKILL to every process in the cgroup and its descendants
// at once through cgroup.kill (Linux 5.14+). On older kernels it sends
// SIGKILL to each process in cgroup.procs, again and again until the list
// is empty, so that processes forked meanwhile die too. Killing is
// asynchronous: use WaitEmpty to know when they are gone.
func (c *Cgroup) Kill() error {
	err := os.WriteFile(filepath.Join(c.Path, "cgroup.kill"), []byte("1"), 0)
	if err == nil {
		return nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("killing cgroup: %w", err)
	}
	if _, serr := os.Stat(c.Path); serr != nil {
		return fmt.Errorf("killing cgroup: %w", serr)
	}
	return c.killEach(5 * time.Second)
}

// killEach is Kill without cgroup.kill.
func (c *Cgroup) killEach(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		pids, err := c.Procs()
		if err != nil {
			return fmt.Errorf("killing cgroup: %w", err)
		}
		if len(pids) == 0 {
			return nil
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("killing cgroup: %d processes still in %s after SIGKILL and %s", len(pids), c.Path, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Populated reports whether any live process is in the cgroup or its
// descendants (cgroup.events).
func (c *Cgroup) Populated() (bool, error) {
	data, err := os.ReadFile(filepath.Join(c.Path, "cgroup.events"))
	if err != nil {
		return false, fmt.Errorf("reading cgroup events: %w", err)
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("populated ")); ok {
			return string(bytes.TrimSpace(v)) != "0", nil
		}
	}
	return false, fmt.Errorf("reading cgroup events: no populated line in %s", filepath.Join(c.Path, "cgroup.events"))
}

// WaitEmpty waits up to timeout for the cgroup to hold no live process.
func (c *Cgroup) WaitEmpty(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		populated, err := c.Populated()
		if err != nil {
			return err
		}
		if !populated {
			return nil
		}
		if time.Now().After(deadline) {
			pids, _ := c.Procs()
			return fmt.Errorf("cgroup %s still holds processes %v after %s", c.Path, pids, timeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Close closes the directory's descriptor and removes the cgroup, which
// must be empty by then. It can be called again after a failure (the
// cgroup was not empty yet) and after success (it then does nothing).
func (c *Cgroup) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fdOpen {
		_ = unix.Close(c.fd)
		c.fdOpen = false
	}
	if c.removed {
		return nil
	}
	if err := os.Remove(c.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing cgroup: %w", err)
	}
	c.removed = true
	return nil
}

// Destroy kills every process in the cgroup and in the cgroups below it,
// waits up to timeout for them to be gone, removes the cgroups below it
// (deepest first) and then the cgroup itself. left is how many processes
// it found there: a command that daemonized, or one interrupted, leaves
// some. Unlike Close it does not need the cgroup to be empty, and it says
// when it could not remove it.
func (c *Cgroup) Destroy(timeout time.Duration) (left int, err error) {
	c.mu.Lock()
	removed := c.removed
	c.mu.Unlock()
	if removed {
		return 0, nil
	}
	var dirs []string
	walkErr := filepath.WalkDir(c.Path, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, path)
			if b, rerr := os.ReadFile(filepath.Join(path, "cgroup.procs")); rerr == nil {
				left += len(bytes.Fields(b))
			}
		}
		return nil
	})
	if walkErr != nil && !errors.Is(walkErr, os.ErrNotExist) {
		return left, fmt.Errorf("destroying cgroup %s: %w", c.Path, walkErr)
	}
	if left > 0 {
		if err := c.Kill(); err != nil {
			return left, err
		}
		if err := c.WaitEmpty(timeout); err != nil {
			return left, err
		}
	}
	// Deepest first: WalkDir lists a directory before what it holds.
	for i := len(dirs) - 1; i > 0; i-- {
		if err := os.Remove(dirs[i]); err != nil && !errors.Is(err, os.ErrNotExist) {
			return left, fmt.Errorf("removing cgroup %s: %w", dirs[i], err)
		}
	}
	return left, c.Close()
}

// MemoryCurrent reads memory.current, the memory the cgroup is charged
// now; ok is false when the file does not exist (no v2 memory
// controller).
func (c *Cgroup) MemoryCurrent() (bytes uint64, ok bool, err error) {
	data, err := os.ReadFile(filepath.Join(c.Path, "memory.current"))
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("reading cgroup memory: %w", err)
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("reading cgroup memory: bad value %q", strings.TrimSpace(string(data)))
	}
	return v, true, nil
}

// MemoryAnon reads the cgroup's anonymous memory, the "anon" line of
// memory.stat; ok is false when there is no memory.stat (no v2 memory
// controller) or no such line.
func (c *Cgroup) MemoryAnon() (bytes uint64, ok bool, err error) {
	data, err := os.ReadFile(filepath.Join(c.Path, "memory.stat"))
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("reading cgroup memory.stat: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, found := strings.CutPrefix(line, "anon "); found {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return 0, false, fmt.Errorf("reading cgroup memory.stat: bad anon %q", v)
			}
			return n, true, nil
		}
	}
	return 0, false, nil
}

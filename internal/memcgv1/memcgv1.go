// Package memcgv1 makes and reads cgroup v1 memory cgroups, for hosts
// where the memory controller is still on cgroup v1 (a hybrid hierarchy:
// the v2 mount carries no memory controller, so its cgroups have no
// memory.peak, memory.current or memory.stat).
//
// A tracer's v2 cgroup (internal/cgroupv2) follows its process tree from
// the fork on (CLONE_INTO_CGROUP); a v1 cgroup cannot be given at fork.
// Instead the thread that forks joins the memory cgroup first (v1 moves
// single threads: a tid written to "tasks"), so the child is born in it
// and its children stay there, and the thread goes back at once (see
// Join). The kernel then keeps the group's peak
// (memory.max_usage_in_bytes) over every process it ever held, exited
// ones included: the same figure as v2's memory.peak, kernel memory
// charged to the group (page tables, slab, BPF maps it created) and page
// cache it brought in counted too.
package memcgv1

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/benchctl/benchctl/internal/mountinfo"
)

// Group is a v1 memory cgroup made by New.
type Group struct {
	Path string
}

// Mount returns where the cgroup v1 memory hierarchy is mounted (a
// "cgroup" mount whose options name "memory"), or an error when none is.
func Mount() (string, error) {
	mnt, ok, err := mountinfo.Find(func(fstype string, opts []string) bool {
		return fstype == "cgroup" && slices.Contains(opts, "memory")
	})
	if err != nil {
		return "", err
	}
	if !ok {
		return "", errors.New("no cgroup v1 memory hierarchy is mounted")
	}
	return mnt, nil
}

// New makes the memory cgroup name (the base name of the tracer's v2
// cgroup, so that the two are found together) directly under the v1
// memory mount.
func New(name string) (*Group, error) {
	mnt, err := Mount()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(mnt, name)
	if err := os.Mkdir(path, 0o755); err != nil {
		return nil, fmt.Errorf("creating memory cgroup: %w", err)
	}
	return &Group{Path: path}, nil
}

// threadGroup returns the path of the v1 memory cgroup of thread tid of
// this process (from /proc/self/task/<tid>/cgroup).
func threadGroup(mnt string, tid int) (string, error) {
	data, err := os.ReadFile("/proc/self/task/" + strconv.Itoa(tid) + "/cgroup")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		// hierarchy-id:controllers:path
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == "memory" {
				return filepath.Join(mnt, parts[2]), nil
			}
		}
	}
	return "", errors.New("this thread is in no v1 memory cgroup")
}

// Join moves thread tid (of this process) into the group and returns
// the function that moves it back to the memory cgroup it was in. The
// caller forks from that thread in between: the child is then born in
// the group. Memory the thread's process touches meanwhile is still
// charged to the process's own group (v1 charges pages to the group of
// the memory's owner, the thread group leader).
func (g *Group) Join(tid int) (back func() error, err error) {
	mnt := filepath.Dir(g.Path)
	old, err := threadGroup(mnt, tid)
	if err != nil {
		return nil, fmt.Errorf("joining memory cgroup: %w", err)
	}
	if err := writeTid(g.Path, tid); err != nil {
		return nil, err
	}
	return func() error { return writeTid(old, tid) }, nil
}

func writeTid(dir string, tid int) error {
	if err := os.WriteFile(filepath.Join(dir, "tasks"), []byte(strconv.Itoa(tid)), 0); err != nil {
		return fmt.Errorf("moving thread %d to memory cgroup %s: %w", tid, dir, err)
	}
	return nil
}

// Peak reads memory.max_usage_in_bytes: the most memory the group has
// been charged since it was made.
func (g *Group) Peak() (uint64, error) { return g.readUint("memory.max_usage_in_bytes") }

// Current reads memory.usage_in_bytes: what the group is charged now.
func (g *Group) Current() (uint64, error) { return g.readUint("memory.usage_in_bytes") }

// Anon reads the group's anonymous memory (and swap cache) from
// memory.stat: total_rss.
func (g *Group) Anon() (uint64, error) {
	v, ok, err := StatField(filepath.Join(g.Path, "memory.stat"), "total_rss")
	if err == nil && !ok {
		err = fmt.Errorf("%s has no total_rss", filepath.Join(g.Path, "memory.stat"))
	}
	return v, err
}

func (g *Group) readUint(file string) (uint64, error) {
	data, err := os.ReadFile(filepath.Join(g.Path, file))
	if err != nil {
		return 0, fmt.Errorf("reading memory cgroup: %w", err)
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("reading %s: bad value %q", filepath.Join(g.Path, file), strings.TrimSpace(string(data)))
	}
	return v, nil
}

// Close removes the group, which must hold no task by then.
func (g *Group) Close() error {
	if err := os.Remove(g.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing memory cgroup: %w", err)
	}
	return nil
}

// StatField reads one "key value" line of a memory.stat file (v1 or
// v2); ok is false when the key is not there.
func StatField(path, key string) (v uint64, ok bool, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, val, found := strings.Cut(line, " ")
		if !found || k != key {
			continue
		}
		v, err := strconv.ParseUint(strings.TrimSpace(val), 10, 64)
		if err != nil {
			return 0, false, fmt.Errorf("reading %s: bad %s %q", path, key, val)
		}
		return v, true, nil
	}
	return 0, false, nil
}

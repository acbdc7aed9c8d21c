package probes

import (
	"time"

	"github.com/benchctl/benchctl/internal/cgroupv2"
)

// Cgroup is a cgroup v2 made to hold one traced process tree: children
// stay in their parent's cgroup, so filtering events on its ID follows the
// whole tree, including processes that fork and exit quickly.
type Cgroup struct {
	Path string
	ID   uint64
	cg   *cgroupv2.Cgroup
}

// Cgroup2Mount returns where the cgroup v2 hierarchy is mounted, or an
// error when it is not.
func Cgroup2Mount() (string, error) { return cgroupv2.Mount() }

// NewCgroup makes a fresh cgroup v2 named after prefix and this process
// (<prefix>-<pid>-<n>, unique within the process).
func NewCgroup(prefix string) (*Cgroup, error) {
	cg, err := cgroupv2.New(prefix)
	if err != nil {
		return nil, err
	}
	// A cgroup's ID, as bpf_get_current_cgroup_id returns it, is the
	// inode number of its directory.
	return &Cgroup{Path: cg.Path, ID: cg.ID, cg: cg}, nil
}

// FD is the cgroup directory's descriptor, for SysProcAttr.CgroupFD.
func (c *Cgroup) FD() int { return c.cg.FD() }

// Close removes the cgroup (it must be empty: its processes have exited).
func (c *Cgroup) Close() error { return c.cg.Close() }

// Destroy kills what is left in the cgroup and below it, and removes them
// all (see cgroupv2.Cgroup.Destroy); left is how many processes it found.
func (c *Cgroup) Destroy(timeout time.Duration) (left int, err error) {
	return c.cg.Destroy(timeout)
}

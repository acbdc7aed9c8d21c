package probes

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Cgroup is a cgroup v2 made to hold one traced process tree: children
// stay in their parent's cgroup, so filtering events on its ID follows the
// whole tree, including processes that fork and exit quickly.
type Cgroup struct {
	Path string
	ID   uint64
	fd   int
}

// Cgroup2Mount returns where the cgroup v2 hierarchy is mounted, or an
// error when it is not.
func Cgroup2Mount() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// ... mount-point ... - fstype source options
		fields := strings.Fields(sc.Text())
		for i, fld := range fields {
			if fld == "-" && i+1 < len(fields) && fields[i+1] == "cgroup2" && len(fields) > 4 {
				return fields[4], nil
			}
		}
	}
	return "", errors.New("no cgroup v2 hierarchy is mounted")
}

// NewCgroup makes a fresh cgroup v2 named after prefix and this process.
func NewCgroup(prefix string) (*Cgroup, error) {
	mnt, err := Cgroup2Mount()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(mnt, fmt.Sprintf("%s-%d", prefix, os.Getpid()))
	if err := os.Mkdir(path, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("creating cgroup: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("creating cgroup: %w", err)
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("opening cgroup: %w", err)
	}
	// A cgroup's ID, as bpf_get_current_cgroup_id returns it, is the
	// inode number of its directory.
	return &Cgroup{Path: path, ID: st.Ino, fd: fd}, nil
}

// FD is the cgroup directory's descriptor, for SysProcAttr.CgroupFD.
func (c *Cgroup) FD() int { return c.fd }

// Close removes the cgroup (it must be empty: its processes have exited).
func (c *Cgroup) Close() error {
	unix.Close(c.fd)
	return os.Remove(c.Path)
}

package cgroupv2

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// staleName matches the names New gives to cgroups of benchctl's:
// benchctl-<rest of the prefix>-<pid>-<n>. The rest of the prefix starts
// with a letter, so that "benchctl-2024-12" is not read as pid 2024.
var staleName = regexp.MustCompile(`^benchctl-[A-Za-z][A-Za-z0-9_.-]*-([1-9][0-9]*)-([1-9][0-9]*)$`)

// Stale is a cgroup that RemoveStale found: named by New for a process
// that is no longer a running benchctl.
type Stale struct {
	Path   string
	Owner  int    // the pid in its name
	Why    string // why the owner is gone: "no process 1234", "pid 1234 is now sleep"
	Killed int    // processes found in it and below it, killed
	Err    error  // why it could not be killed or removed; nil when it was
}

// RemoveStale finds the cgroups directly under mount that New made
// (benchctl-...-<pid>-<n>) for a process that is no longer a running
// benchctl (see ownerAlive), kills every process in them and below them,
// and removes them, deepest first. Such cgroups are left behind when
// benchctl and the tracer's watchdog are both killed, with the tracer
// behind a shell or a daemonized traced command still running in them.
// Cgroups of a live benchctl (a concurrent run) are left alone, and so
// is every name that does not match. Each cgroup's failure is in its
// Stale; err is only for a mount that cannot be listed. timeout bounds
// the wait for one cgroup's processes to be gone.
func RemoveStale(mount string, timeout time.Duration) (found []Stale, err error) {
	entries, err := os.ReadDir(mount)
	if err != nil {
		return nil, fmt.Errorf("listing cgroups: %w", err)
	}
	for _, e := range entries {
		m := staleName.FindStringSubmatch(e.Name())
		if m == nil || !e.IsDir() {
			continue
		}
		pid, err := strconv.Atoi(m[1])
		if err != nil {
			continue // more digits than an int holds: not a pid of New's
		}
		path := filepath.Join(mount, e.Name())
		alive, why := ownerAlive(pid, path)
		if alive {
			continue
		}
		s := Stale{Path: path, Owner: pid, Why: why}
		s.Killed, s.Err = (&Cgroup{Path: path}).Destroy(timeout)
		if s.Err != nil {
			if _, serr := os.Stat(path); errors.Is(serr, os.ErrNotExist) {
				// Removed meanwhile, by its watchdog or another
				// benchctl: gone, as wanted.
				if s.Killed == 0 {
					continue
				}
				s.Err = nil
			}
		}
		found = append(found, s)
	}
	return found, nil
}

// ownerAlive tells whether pid is a running benchctl that may own the
// cgroup at path, and if not, why. A process is taken for benchctl when
// its command name starts with "benchctl" (benchctl, a build named
// benchctl-041555c), or ends in ".test" (the test binaries of benchctl's
// packages make cgroups too), or when it holds the cgroup's directory
// open, as New's Cgroup does until Close (a benchctl under another
// name). A pid that cannot be read for another reason than its absence
// counts as alive: a cgroup is only removed when its owner is known to
// be gone.
func ownerAlive(pid int, path string) (bool, string) {
	proc := "/proc/" + strconv.Itoa(pid)
	status, err := os.ReadFile(proc + "/status")
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
		return false, fmt.Sprintf("no process %d", pid)
	}
	if err != nil {
		return true, ""
	}
	var name, state string
	tgid, threads := -1, 0
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "Name":
			name = v
		case "State":
			state = v
		case "Tgid":
			tgid, _ = strconv.Atoi(v)
		case "Threads":
			threads, _ = strconv.Atoi(v)
		}
	}
	switch {
	case tgid != pid:
		// New names a cgroup after a process; a thread now has that id.
		return false, fmt.Sprintf("pid %d is now a thread of %s %d", pid, name, tgid)
	case strings.HasPrefix(state, "Z") && threads <= 1:
		// A zombie leader with live threads is a live process.
		return false, fmt.Sprintf("%s %d has exited, a zombie", name, pid)
	case strings.HasPrefix(name, "benchctl"), strings.HasSuffix(name, ".test"):
		return true, ""
	}
	if fds, err := os.ReadDir(proc + "/fd"); err == nil {
		for _, fd := range fds {
			if target, err := os.Readlink(proc + "/fd/" + fd.Name()); err == nil && target == path {
				return true, ""
			}
		}
	}
	return false, fmt.Sprintf("pid %d is now %s, not benchctl", pid, name)
}

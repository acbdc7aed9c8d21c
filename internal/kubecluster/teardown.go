//go:build k8s

package kubecluster

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/internal/mountinfo"
)

// markerFile names a state directory that Start made, and holds its
// record: what to kill, unmount and remove to undo it.
const markerFile = "benchctl-kubecluster.json"

// dirPrefix starts the name of every state directory.
const dirPrefix = "benchctl-kube-"

// record is what a cluster leaves in its marker file, so that the next
// Start can undo a cluster whose process died without Stop.
type record struct {
	Owner      proc   `json:"owner"`      // the process that started the cluster
	Procs      []proc `json:"procs"`      // the processes Start started
	CgroupRoot string `json:"cgroupRoot"` // the pods' cgroup, under each v1 hierarchy
	Bridge     string `json:"bridge"`     // the CNI bridge's name
	Socket     string `json:"socket"`     // containerd's socket: its shims name it
	Network    string `json:"network"`    // the CNI network's name
}

// containerdState is the state directory of a cluster's containerd.
func containerdState(dir string) string {
	return filepath.Join(dir, "containerd", "state")
}

// proc names a process by its pid and its start time (field 22 of
// /proc/PID/stat), so that a reused pid is never taken for it.
type proc struct {
	Name  string `json:"name"`
	Pid   int    `json:"pid"`
	Start uint64 `json:"start"`
}

func procStart(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name in parentheses may hold spaces: count from its end.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 20 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(fields))
	}
	return strconv.ParseUint(fields[19], 10, 64)
}

func (p proc) alive() bool {
	start, err := procStart(p.Pid)
	return err == nil && start == p.Start
}

func (p proc) kill() {
	if p.alive() {
		_ = syscall.Kill(p.Pid, syscall.SIGKILL)
	}
}

func writeRecord(dir string, r *record) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, markerFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, markerFile))
}

func readRecord(dir string) (*record, error) {
	b, err := os.ReadFile(filepath.Join(dir, markerFile))
	if err != nil {
		return nil, err
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, markerFile), err)
	}
	return &r, nil
}

// sweep undoes every cluster under parent whose owner process is gone:
// those that a killed test left. A directory without a marker, or whose
// owner still runs (another test's cluster), is left alone.
func sweep(parent string) error {
	dirs, err := filepath.Glob(filepath.Join(parent, dirPrefix+"*"))
	if err != nil {
		return err
	}
	var errs []error
	for _, dir := range dirs {
		r, err := readRecord(dir)
		if err != nil {
			continue // not ours, or not yet written: leave it
		}
		if r.Owner.alive() {
			continue
		}
		if err := teardown(dir, r); err != nil {
			errs = append(errs, fmt.Errorf("stale test cluster %s: %w", dir, err))
		}
	}
	return errors.Join(errs...)
}

// mounts lists /proc/self/mountinfo's mounts: each mount point,
// unescaped, and file system type; none when it cannot be read.
func mounts() (points, fstypes []string) {
	all, err := mountinfo.All()
	if err != nil {
		return nil, nil
	}
	for _, m := range all {
		points = append(points, m.Point)
		fstypes = append(fstypes, m.FSType)
	}
	return points, fstypes
}

// cgroupHierarchies are the mount points of the cgroup v1 hierarchies and
// of a cgroup v2 one beside them (runc makes a container's cgroup there
// too in this hybrid layout).
func cgroupHierarchies() []string {
	points, fstypes := mounts()
	var out []string
	for i, mp := range points {
		if fstypes[i] == "cgroup" || fstypes[i] == "cgroup2" {
			out = append(out, mp)
		}
	}
	return out
}

// mountsUnder lists the mount points at or below dir, deepest first.
func mountsUnder(dir string) []string {
	points, _ := mounts()
	var out []string
	for _, mp := range points {
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			out = append(out, mp)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// killCgroup kills every process in the cgroup rel (and below) of every
// hierarchy until none is left, then removes those cgroups, deepest
// first.
func killCgroup(rel string) error {
	if rel == "" || rel == "/" || !strings.HasPrefix(filepath.Base(rel), dirPrefix) {
		return fmt.Errorf("refusing to empty cgroup %q: not a test cluster's", rel)
	}
	hier := cgroupHierarchies()
	deadline := time.Now().Add(30 * time.Second)
	for {
		n := 0
		for _, h := range hier {
			_ = filepath.WalkDir(filepath.Join(h, rel), func(p string, d os.DirEntry, err error) error {
				if err != nil || !d.IsDir() {
					return nil
				}
				b, _ := os.ReadFile(filepath.Join(p, "cgroup.procs"))
				for _, f := range strings.Fields(string(b)) {
					if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
						_ = syscall.Kill(pid, syscall.SIGKILL)
						n++
					}
				}
				return nil
			})
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cgroup %s: processes still running after 30s", rel)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var errs []error
	for _, h := range hier {
		root := filepath.Join(h, rel)
		var dirs []string
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
		for _, d := range dirs {
			// A cgroup whose last process just died can be busy for a moment.
			var err error
			for i := 0; i < 50; i++ {
				if err = unix.Rmdir(d); err == nil || errors.Is(err, os.ErrNotExist) {
					err = nil
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("rmdir %s: %w", d, err))
			}
		}
	}
	return errors.Join(errs...)
}

// shimsOf lists containerd shims serving the containerd at socket: they
// leave containerd's process group, and name its socket in their argv.
func shimsOf(socket string) []proc {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if len(args) == 0 || !strings.HasPrefix(filepath.Base(args[0]), "containerd-shim") {
			continue
		}
		for i := 0; i+1 < len(args); i++ {
			if args[i] == "-address" && args[i+1] == socket {
				if start, err := procStart(pid); err == nil {
					out = append(out, proc{Name: "shim", Pid: pid, Start: start})
				}
				break
			}
		}
	}
	return out
}

// teardown undoes a cluster from its record: kills its processes, its
// containers and their shims, unmounts what is mounted below dir, removes
// its cgroups and bridge, and then dir. It removes dir only when nothing is
// mounted below it any more, so that no bind mount of a host directory is
// ever emptied through it.
func teardown(dir string, r *record) error {
	var errs []error
	// The kubelet first, so that it restarts no container.
	for _, p := range r.Procs {
		if p.Name == "kubelet" {
			p.kill()
		}
	}
	if r.CgroupRoot != "" {
		if err := killCgroup(r.CgroupRoot); err != nil {
			errs = append(errs, err)
		}
	}
	for _, p := range r.Procs {
		p.kill()
	}
	// Where containerd 1.6 puts its shims' sockets whatever its state
	// directory; a shim killed leaves its socket there.
	shimSockets, _ := filepath.Glob(filepath.Join(containerdState(dir), "io.containerd.runtime.v2.task", "*", "*", "address"))
	if r.Socket != "" {
		for _, p := range shimsOf(r.Socket) {
			p.kill()
		}
	}
	for _, p := range append(append([]proc(nil), r.Procs...), shimsOf(r.Socket)...) {
		for i := 0; i < 100 && p.alive(); i++ {
			time.Sleep(50 * time.Millisecond)
		}
		if p.alive() && !isZombie(p.Pid) {
			errs = append(errs, fmt.Errorf("%s (pid %d) did not die", p.Name, p.Pid))
		}
	}
	for _, f := range shimSockets {
		b, err := os.ReadFile(f)
		sock := strings.TrimPrefix(strings.TrimSpace(string(b)), "unix://")
		if err == nil && filepath.Dir(sock) == "/run/containerd/s" {
			if fi, err := os.Lstat(sock); err == nil && fi.Mode()&os.ModeSocket != 0 {
				_ = os.Remove(sock)
			}
		}
	}
	// The kubelet links each container's log into /var/log/containers
	// whatever its podLogsDir, and a CNI result whose DEL never ran (the
	// pods were killed) stays in libcni's cache: both name this cluster.
	if links, err := os.ReadDir("/var/log/containers"); err == nil {
		for _, l := range links {
			p := filepath.Join("/var/log/containers", l.Name())
			if target, err := os.Readlink(p); err == nil && strings.HasPrefix(target, dir+"/") {
				_ = os.Remove(p)
			}
		}
	}
	if r.Network != "" {
		results, _ := filepath.Glob(filepath.Join("/var/lib/cni/results", r.Network+"-*"))
		for _, f := range results {
			_ = os.Remove(f)
		}
	}
	// containerd adds every sandbox to its own loopback network too.
	sandboxes, _ := os.ReadDir(filepath.Join(dir, "containerd", "root", "io.containerd.grpc.v1.cri", "sandboxes"))
	for _, sb := range sandboxes {
		_ = os.Remove(filepath.Join("/var/lib/cni/results", "cni-loopback-"+sb.Name()+"-lo"))
	}
	for _, mp := range mountsUnder(dir) {
		if err := unix.Unmount(mp, 0); err != nil && !errors.Is(err, unix.EINVAL) {
			if err := unix.Unmount(mp, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
				errs = append(errs, fmt.Errorf("unmount %s: %w", mp, err))
			}
		}
	}
	if r.Bridge != "" {
		if _, err := os.Stat(filepath.Join("/sys/class/net", r.Bridge)); err == nil {
			if out, err := exec.Command("ip", "link", "delete", r.Bridge).CombinedOutput(); err != nil {
				errs = append(errs, fmt.Errorf("ip link delete %s: %v: %s", r.Bridge, err, out))
			}
		}
	}
	if left := mountsUnder(dir); len(left) > 0 {
		errs = append(errs, fmt.Errorf("%s kept (still mounted below it: %s)", dir, strings.Join(left, ", ")))
		return errors.Join(errs...)
	}
	if len(errs) > 0 {
		// Keep the record: the next sweep tries again.
		return errors.Join(errs...)
	}
	if err := os.RemoveAll(dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] == 'Z'
}

package guest

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/benchctl/benchctl/internal/shell"
)

// Where things go in the guest.
const (
	guestBinDir    = "/usr/local/bin"
	guestModuleDir = "/lib/modules/benchctl"
	guestStateDir  = "/benchctl"
)

// Markers /init prints on the console; Run parses them.
const (
	markerExit  = "BENCHCTL-GUEST-EXIT="
	markerReady = "BENCHCTL-GUEST-READY"
	markerFiles = "BENCHCTL-GUEST-FILES="
	// The forms /init prints, with the boot's nonce (see nonced).
	markerExitNonce  = "BENCHCTL-GUEST-EXIT-$NONCE="
	markerFilesNonce = "BENCHCTL-GUEST-FILES-$NONCE="
)

// skipDirs are folders of a share that are never copied in: version
// control and caches (the kernel packages live in .cache).
var skipDirs = map[string]bool{".git": true, ".cache": true}

// MaxShareBytes bounds what a share may hold: it is copied into the
// guest's memory.
const MaxShareBytes = 512 << 20

// initScript is the guest's /init. It mounts what benchctl needs, brings
// the loopback up, loads the modules, runs /benchctl/run.sh in the working
// folder, sends back the share's new and changed files as a base64 cpio
// archive on the second serial port, prints the exit marker and powers off.
const initScript = `#!/bin/busybox sh
/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin /proc /sys /dev /tmp /run /root
/bin/busybox --install -s
export PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/root TMPDIR=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
if grep -qw benchctl.probe /proc/cmdline; then
	echo ` + markerReady + `
	echo "<2>` + markerReady + `" > /dev/kmsg
	poweroff -f
fi
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# /tmp and /run stay on the initramfs (a tmpfs already): a share under
# /tmp must not be hidden.
chmod 1777 /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup
# The memory controller on for the root's children, as on a systemd
# host: a tracer's cgroup then has memory.peak (5.19+), memory.current
# and memory.stat. A kernel without it goes on without.
echo +memory > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || echo "benchctl-guest: no cgroup v2 memory controller"
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
ip link set lo up
hostname benchctl-guest
BENCHCTL_GUEST=qemu
NONCE=
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	benchctl.guest=*) BENCHCTL_GUEST="${arg#benchctl.guest=}" ;;
	benchctl.nonce=*) NONCE="${arg#benchctl.nonce=}" ;;
	esac
done
export BENCHCTL_GUEST
# The nonce stays in this shell (not exported) and out of the commands'
# /proc/cmdline: the markers below carry it, so no output of theirs can
# pass for one.
sed 's/ *benchctl\.nonce=[^ ]*//' /proc/cmdline > ` + guestStateDir + `/cmdline
mount --bind ` + guestStateDir + `/cmdline /proc/cmdline
if [ -f ` + guestStateDir + `/modules ]; then
	while read -r m; do
		insmod "` + guestModuleDir + `/$m" || echo "benchctl-guest: insmod $m failed"
	done < ` + guestStateDir + `/modules
fi
. ` + guestStateDir + `/env
echo "benchctl-guest: $(uname -r), $BENCHCTL_GUEST, $(nproc) CPUs, clock source $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
touch ` + guestStateDir + `/stamp
# Through a pipe, the commands' output is not a terminal: no progress
# bars redrawn in place on the serial console.
code=1
{ cd "$BENCHCTL_GUEST_WORKDIR" && sh ` + guestStateDir + `/run.sh < /dev/null; echo $? > ` + guestStateDir + `/code; } 2>&1 | cat
[ -f ` + guestStateDir + `/code ] && code=$(cat ` + guestStateDir + `/code)
if [ -n "$BENCHCTL_GUEST_SHARE" ] && [ -e /dev/ttyS1 ]; then
	stty -F /dev/ttyS1 raw -echo 2>/dev/null
	n=$(cd "$BENCHCTL_GUEST_SHARE" && find . -newer ` + guestStateDir + `/stamp -type f | tee ` + guestStateDir + `/files | wc -l)
	n=${n:-0}
	if [ "$n" -gt 0 ]; then
		(cd "$BENCHCTL_GUEST_SHARE" && cpio -o -H newc < ` + guestStateDir + `/files 2>/dev/null | base64) > /dev/ttyS1
	fi
	echo "` + markerFilesNonce + `$n"
fi
# stty with a setting waits until the console has sent what it holds
# (TCSADRAIN), so the marker is not lost at power off.
echo "` + markerExitNonce + `$code"
stty -F /dev/console -echo 2>/dev/null
echo "<2>` + markerExitNonce + `$code" > /dev/kmsg
poweroff -f
`

// Spec says what to boot and what to run in the guest.
type Spec struct {
	// Kernel is the bzImage to boot.
	Kernel string
	// Accel is "auto" (KVM when a short boot test succeeds, else TCG),
	// "kvm" or "tcg".
	Accel string
	// Memory is QEMU's -m (default 2G); CPUs its -smp (default 2).
	Memory string
	CPUs   int
	// Timeout bounds the whole guest run (default 30 minutes).
	Timeout time.Duration
	// Share is a host folder copied into the guest at the same path; the
	// files the commands create or change in it are copied back when they
	// end (deleted files are not). Empty: no share.
	Share string
	// Workdir is the guest's working folder (default Share, or /).
	Workdir string
	// Binaries are copied into /usr/local/bin, on the guest's PATH. They
	// must be statically linked: the guest has no C library.
	Binaries []string
	// Programs are copied into the guest at their host paths, with the
	// shared libraries ldd lists for them (and the ELF interpreter), so
	// dynamically linked tools (external tracers such as Falco's
	// scap-open or bpftrace) run there as they do on the host, and a
	// scenario naming them by path needs no change.
	Programs []string
	// Modules are kernel modules (.ko) inserted in this order at boot.
	Modules []string
	// Env holds KEY=VALUE pairs exported to the commands.
	Env []string
	// Commands are run in order from Workdir, each an argv; the first that
	// fails ends the run with its exit status.
	Commands [][]string
	// KernelArgs are appended to the kernel command line (e.g.
	// "loglevel=7" to see the kernel's messages, quiet by default).
	KernelArgs string
	// Busybox is a statically linked busybox (default: busybox on PATH, as
	// Debian's busybox-static installs it).
	Busybox string
	// Console receives the guest's console, line by line (nil: discarded).
	Console io.Writer
	// Log receives what Run does on the host (nil: discarded).
	Log io.Writer
}

func (s *Spec) fill() error {
	if err := CheckEnv(s.Env); err != nil {
		return err
	}
	if s.Kernel == "" {
		return errors.New("no kernel given")
	}
	if _, err := os.Stat(s.Kernel); err != nil {
		return fmt.Errorf("kernel: %w", err)
	}
	if s.Accel == "" {
		s.Accel = "auto"
	}
	switch s.Accel {
	case "auto", "kvm", "tcg":
	default:
		return fmt.Errorf("accel %q: want auto, kvm or tcg", s.Accel)
	}
	if s.Memory == "" {
		s.Memory = "2G"
	}
	if s.CPUs == 0 {
		s.CPUs = 2
	}
	if s.Timeout == 0 {
		s.Timeout = 30 * time.Minute
	}
	if s.Share != "" {
		abs, err := filepath.Abs(s.Share)
		if err != nil {
			return err
		}
		s.Share = abs
	}
	if s.Workdir == "" {
		s.Workdir = s.Share
	}
	if s.Workdir == "" {
		s.Workdir = "/"
	}
	if s.Busybox == "" {
		s.Busybox = "busybox"
	}
	if !strings.Contains(s.Busybox, "/") {
		p, err := lookPath(s.Busybox)
		if err != nil {
			return fmt.Errorf("busybox not found: apt-get install busybox-static")
		}
		s.Busybox = p
	}
	if s.Console == nil {
		s.Console = io.Discard
	}
	if s.Log == nil {
		s.Log = io.Discard
	}
	return nil
}

// lookPath finds a program on PATH, then in the sbin folders.
func lookPath(name string) (string, error) {
	dirs := append(filepath.SplitList(os.Getenv("PATH")), "/usr/local/sbin", "/usr/sbin", "/sbin", "/bin", "/usr/bin")
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found", name)
}

// CheckStatic returns an error when path is a dynamically linked ELF
// program, which the guest could not run. Files that are not ELF (scripts)
// pass.
func CheckStatic(path string) error {
	magic := make([]byte, 4)
	r, err := os.Open(path)
	if err != nil {
		return err
	}
	n, _ := io.ReadFull(r, magic)
	r.Close()
	if n < 4 || string(magic) != elf.ELFMAG {
		return nil
	}
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked: the guest has no C library (build Go programs with CGO_ENABLED=0)", path)
		}
	}
	return nil
}

// runScript is /benchctl/run.sh: the commands, stopping at the first
// failure with its status.
func runScript(cmds [][]string) string {
	var b strings.Builder
	for _, argv := range cmds {
		q := make([]string, len(argv))
		for i, a := range argv {
			q[i] = shell.Quote(a)
		}
		line := strings.Join(q, " ")
		fmt.Fprintf(&b, "echo %s\n", shell.Quote("benchctl-guest: $ "+line))
		fmt.Fprintf(&b, "%s || { code=$?; echo \"benchctl-guest: exit status $code\"; exit $code; }\n", line)
	}
	return b.String()
}

// envName is a POSIX shell variable name: the only key the env file
// may export, since /init sources it as shell code.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// CheckEnv fails unless every entry of env is KEY=VALUE with KEY a
// POSIX variable name (letters, digits and _, not first a digit); the
// value may be anything.
func CheckEnv(env []string) error {
	for _, kv := range env {
		k, _, ok := strings.Cut(kv, "=")
		switch {
		case !ok:
			return fmt.Errorf("env %q: want KEY=VALUE", kv)
		case !envName.MatchString(k):
			return fmt.Errorf("env %q: %q is not a variable name (letters, digits and _, not first a digit)", kv, k)
		}
	}
	return nil
}

// envFile is /benchctl/env, sourced by /init: each value quoted, and
// only keys that are variable names (fill checked them; one that is not
// is left out rather than run).
func envFile(s *Spec) string {
	var b strings.Builder
	fmt.Fprintf(&b, "export BENCHCTL_GUEST_WORKDIR=%s\n", shell.Quote(s.Workdir))
	fmt.Fprintf(&b, "export BENCHCTL_GUEST_SHARE=%s\n", shell.Quote(s.Share))
	for _, kv := range s.Env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !envName.MatchString(k) {
			continue
		}
		fmt.Fprintf(&b, "export %s=%s\n", k, shell.Quote(v))
	}
	return b.String()
}

// BuildInitramfs writes the guest's initramfs (an uncompressed newc cpio)
// to w: busybox, /init, the binaries, the modules, the share's contents
// and the commands. It returns the share files it skipped.
func BuildInitramfs(w io.Writer, s *Spec) (skipped []string, err error) {
	if err := s.fill(); err != nil {
		return nil, err
	}
	return buildInitramfs(w, s)
}

func buildInitramfs(w io.Writer, s *Spec) (skipped []string, err error) {
	c := newCpioWriter(w)
	for _, d := range []string{"/bin", "/sbin", "/usr/bin", "/usr/sbin", "/proc", "/sys", "/dev", "/tmp", "/run", "/root", "/etc", guestBinDir, guestStateDir} {
		c.Dir(d, 0o755)
	}
	c.Bytes("/etc/hostname", 0o644, []byte("benchctl-guest\n"))
	c.Bytes("/etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\n"))
	c.Bytes("/etc/group", 0o644, []byte("root:x:0:\n"))
	add := func(host, guest string) error {
		if err := CheckStatic(host); err != nil {
			return err
		}
		f, err := os.Open(host)
		if err != nil {
			return err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		c.File(guest, 0o755, fi.ModTime(), fi.Size(), f)
		return c.err
	}
	if err := add(s.Busybox, "/bin/busybox"); err != nil {
		return nil, fmt.Errorf("adding busybox: %w", err)
	}
	c.Symlink("/bin/sh", "busybox")
	c.Bytes("/init", 0o755, []byte(initScript))
	seen := map[string]string{}
	for _, b := range s.Binaries {
		name := filepath.Base(b)
		if prev, ok := seen[name]; ok {
			return nil, fmt.Errorf("binaries %s and %s have the same name", prev, b)
		}
		seen[name] = b
		if err := add(b, path.Join(guestBinDir, name)); err != nil {
			return nil, fmt.Errorf("adding %s: %w", b, err)
		}
	}
	if err := addPrograms(c, s.Programs); err != nil {
		return nil, err
	}
	var mods strings.Builder
	for _, m := range s.Modules {
		name := filepath.Base(m)
		f, err := os.Open(m)
		if err != nil {
			return nil, fmt.Errorf("adding module: %w", err)
		}
		fi, _ := f.Stat()
		c.File(path.Join(guestModuleDir, name), 0o644, fi.ModTime(), fi.Size(), f)
		f.Close()
		fmt.Fprintln(&mods, name)
	}
	if mods.Len() > 0 {
		c.Bytes(path.Join(guestStateDir, "modules"), 0o644, []byte(mods.String()))
	}
	if s.Share != "" {
		skipped, err = addShare(c, s.Share)
		if err != nil {
			return skipped, err
		}
	}
	c.Dir(s.Workdir, 0o755)
	c.Bytes(path.Join(guestStateDir, "env"), 0o644, []byte(envFile(s)))
	c.Bytes(path.Join(guestStateDir, "run.sh"), 0o755, []byte(runScript(s.Commands)))
	return skipped, c.Close()
}

// maxShareFile is the largest single file of a share that is copied in.
const maxShareFile = 128 << 20

// addShare copies the folder root into the archive at the same path,
// without .git and .cache folders, sockets, devices and files larger than
// maxShareFile (returned as skipped).
func addShare(c *cpioWriter, root string) (skipped []string, err error) {
	var total int64
	now := time.Now()
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && skipDirs[d.Name()] {
				return filepath.SkipDir
			}
			c.Dir(p, 0o755)
			return c.err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			c.Symlink(p, target)
		case fi.Mode().IsRegular():
			if fi.Size() > maxShareFile {
				skipped = append(skipped, p)
				return nil
			}
			total += fi.Size()
			if total > MaxShareBytes {
				return fmt.Errorf("the share %s holds more than %d MiB: share a smaller folder", root, MaxShareBytes>>20)
			}
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			mt := fi.ModTime()
			if mt.After(now) {
				mt = now
			}
			c.File(p, fi.Mode().Perm(), mt, fi.Size(), f)
		default:
			skipped = append(skipped, p)
		}
		return c.err
	})
	sort.Strings(skipped)
	return skipped, err
}

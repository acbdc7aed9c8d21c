package guest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// QEMU is the emulator Run starts.
var QEMU = "qemu-system-x86_64"

// ProbeTimeout bounds the short boot that tells whether KVM works.
var ProbeTimeout = 10 * time.Second

// Result is what a guest run gave back.
type Result struct {
	// Accel is how the guest ran: "kvm" or "tcg".
	Accel string
	// ExitCode is the guest commands' exit status.
	ExitCode int
	// Files are the share's files written back on the host (absolute).
	Files []string
	// Boot is how long QEMU ran.
	Boot time.Duration
}

// Guest names the accelerator as the guest's BENCHCTL_GUEST variable and
// its results file say it: "qemu-tcg" or "qemu-kvm".
func (r *Result) Guest() string { return "qemu-" + r.Accel }

// ErrNoExit is returned when the guest stopped without printing its exit
// status: a kernel panic, an /init that failed, or the timeout.
var ErrNoExit = errors.New("the guest stopped without an exit status")

// Run boots s.Kernel with an initramfs built from s, runs s.Commands in
// the guest, streams its console to s.Console, copies the share's new
// files back and returns the commands' exit status. Cancelling ctx (Ctrl-C)
// or reaching s.Timeout kills QEMU.
func Run(ctx context.Context, s Spec) (*Result, error) {
	if err := s.fill(); err != nil {
		return nil, err
	}
	if _, err := exec.LookPath(QEMU); err != nil {
		return nil, fmt.Errorf("%s not found: apt-get install qemu-system-x86", QEMU)
	}
	dir, err := os.MkdirTemp("", "benchctl-guest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	initrd := filepath.Join(dir, "initramfs.cpio")
	f, err := os.Create(initrd)
	if err != nil {
		return nil, err
	}
	skipped, err := buildInitramfs(f, &s)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("building the initramfs: %w", err)
	}
	for _, p := range skipped {
		fmt.Fprintf(s.Log, "vm: not copied into the guest (too large or not a file): %s\n", p)
	}
	if fi, err := os.Stat(initrd); err == nil {
		fmt.Fprintf(s.Log, "vm: initramfs %.1f MiB\n", float64(fi.Size())/(1<<20))
	}

	accel := s.Accel
	if accel == "auto" {
		accel = DetectAccel(ctx, s.Kernel, initrd, s.Log)
	}
	res := &Result{Accel: accel, ExitCode: -1}
	out := filepath.Join(dir, "files.b64")
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	// A nonce per boot, on the kernel command line: /init prints it in
	// its markers and hides it from the commands, so nothing they print
	// can pass for the exit status or the file count.
	var rnd [16]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, err
	}
	nonce := hex.EncodeToString(rnd[:])
	start := time.Now()
	b, err := boot(ctx, bootArgs{
		kernel: s.Kernel, initrd: initrd, accel: accel, memory: s.Memory, cpus: s.CPUs,
		cmdline: strings.TrimSpace("benchctl.guest=" + res.Guest() + " benchctl.nonce=" + nonce + " " + s.KernelArgs), filesOut: out,
		nonce: nonce,
	}, s.Console)
	res.Boot = time.Since(start)
	if b.exit >= 0 {
		res.ExitCode = b.exit
	}
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return res, fmt.Errorf("the guest did not finish within %s: QEMU killed", s.Timeout)
		}
		if ctx.Err() != nil {
			return res, fmt.Errorf("the guest was interrupted: QEMU killed")
		}
		if b.exit < 0 {
			return res, err
		}
	}
	if b.exit < 0 {
		return res, ErrNoExit
	}
	if s.Share != "" && b.files > 0 {
		files, err := unpackFiles(out, s.Share)
		res.Files = files
		if err != nil {
			return res, fmt.Errorf("copying the guest's files back: %w", err)
		}
		if len(files) != b.files {
			return res, fmt.Errorf("the guest sent %d of its %d new files", len(files), b.files)
		}
	}
	return res, nil
}

type bootArgs struct {
	kernel, initrd, accel, memory, cmdline, filesOut string
	cpus                                             int
	// nonce is the boot's nonce (see Run): only markers that carry it
	// count.
	nonce string
}

// booted is what one boot printed: the exit status (-1: none), the count
// of files sent, and whether the ready marker came.
type booted struct {
	exit, files int
	ready       bool
}

func qemuArgs(a bootArgs) []string {
	args := []string{"-nodefaults", "-no-reboot", "-display", "none", "-monitor", "none",
		"-m", a.memory, "-smp", strconv.Itoa(a.cpus),
		"-kernel", a.kernel, "-initrd", a.initrd,
		"-append", "console=ttyS0 quiet panic=-1 " + a.cmdline,
		"-serial", "stdio",
	}
	if a.filesOut != "" {
		args = append(args, "-serial", "file:"+a.filesOut)
	}
	switch a.accel {
	case "kvm":
		args = append(args, "-accel", "kvm", "-cpu", "host")
	default:
		// One host thread for all vCPUs: with multi-threaded TCG the 6.1
		// guest livelocked (soft lockups on both CPUs in the int3 handler)
		// while the kernel live-patched its text as tracepoints were
		// attached and detached. The TSC is trusted so that the guest
		// reads the clock in the vDSO, as hosts do, instead of making a
		// clock_gettime syscall each time (hpet, the default under TCG).
		args = append(args, "-accel", "tcg,thread=single", "-cpu", "max")
		args[slices.Index(args, "-append")+1] += " clocksource=tsc tsc=reliable"
	}
	return args
}

// boot runs QEMU until it exits or ctx ends, copying the console to
// console line by line and parsing the markers.
func boot(ctx context.Context, a bootArgs, console io.Writer) (booted, error) {
	b := booted{exit: -1}
	cmd := exec.CommandContext(ctx, QEMU, qemuArgs(a)...)
	// Its own process group: a Ctrl-C in the terminal reaches benchctl,
	// which kills QEMU, rather than QEMU directly.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return cmd.Process.Kill() }
	cmd.WaitDelay = 5 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return b, err
	}
	if err := cmd.Start(); err != nil {
		return b, fmt.Errorf("starting %s: %w", QEMU, err)
	}
	sc := bufio.NewScanner(pipe)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	exitMarker, filesMarker := nonced(markerExit, a.nonce), nonced(markerFiles, a.nonce)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		fmt.Fprintln(console, line)
		if i := strings.Index(line, exitMarker); i >= 0 && b.exit < 0 {
			if n, err := strconv.Atoi(strings.TrimSpace(line[i+len(exitMarker):])); err == nil {
				b.exit = n
			}
		}
		if i := strings.Index(line, filesMarker); i >= 0 {
			if n, err := strconv.Atoi(strings.TrimSpace(line[i+len(filesMarker):])); err == nil {
				b.files = n
			}
		}
		if strings.Contains(line, markerReady) {
			b.ready = true
		}
	}
	err = cmd.Wait()
	if err != nil && ctx.Err() == nil {
		msg := strings.TrimSpace(stderr.String())
		if msg != "" {
			err = fmt.Errorf("%s: %w: %s", QEMU, err, msg)
		} else {
			err = fmt.Errorf("%s: %w", QEMU, err)
		}
	}
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	return b, err
}

// nonced is marker ("NAME=") with the boot's nonce: "NAME-<nonce>=".
func nonced(marker, nonce string) string {
	return strings.TrimSuffix(marker, "=") + "-" + nonce + "="
}

// DetectAccel boots kernel with initrd under KVM with a short timeout and
// returns "kvm" when the guest came up, "tcg" otherwise (no /dev/kvm, no
// permission, or a guest that hangs, as without nested virtualization).
func DetectAccel(ctx context.Context, kernel, initrd string, log io.Writer) string {
	if log == nil {
		log = io.Discard
	}
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintf(log, "vm: KVM unusable (%v): TCG\n", err)
		return "tcg"
	}
	f.Close()
	ctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
	defer cancel()
	start := time.Now()
	b, err := boot(ctx, bootArgs{kernel: kernel, initrd: initrd, accel: "kvm", memory: "512M", cpus: 1, cmdline: "benchctl.probe"}, io.Discard)
	if b.ready {
		fmt.Fprintf(log, "vm: KVM boot test passed in %s: KVM\n", time.Since(start).Round(time.Millisecond))
		return "kvm"
	}
	reason := "no answer"
	if err != nil {
		reason = err.Error()
	}
	fmt.Fprintf(log, "vm: KVM boot test failed after %s (%s): TCG (timings mean nothing under TCG)\n", time.Since(start).Round(time.Millisecond), reason)
	return "tcg"
}

// unpackFiles decodes the base64 cpio archive the guest sent and writes
// its regular files under share, returning their paths.
func unpackFiles(b64File, share string) ([]string, error) {
	raw, err := os.ReadFile(b64File)
	if err != nil {
		return nil, err
	}
	clean := bytes.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == ' ' || r == '\t' || r == 0 {
			return -1
		}
		return r
	}, raw)
	data, err := base64.StdEncoding.DecodeString(string(clean))
	if err != nil {
		return nil, fmt.Errorf("decoding base64: %w", err)
	}
	entries, err := readCpio(bytes.NewReader(data))
	// Everything is written through an os.Root of the share: a symlink
	// already in the host's share (the guest's own are not unpacked)
	// cannot lead a file outside it.
	if err := os.MkdirAll(share, 0o755); err != nil {
		return nil, err
	}
	root, rerr := os.OpenRoot(share)
	if rerr != nil {
		return nil, rerr
	}
	defer root.Close()
	var files []string
	for _, e := range entries {
		if !e.IsRegular() {
			continue
		}
		rel := filepath.Clean(e.Name)
		if filepath.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return files, fmt.Errorf("refusing %q: outside the share", e.Name)
		}
		if err := root.MkdirAll(filepath.Dir(rel), 0o755); err != nil {
			return files, fmt.Errorf("writing %s: %w", rel, err)
		}
		if err := writeFileAtomic(root, rel, e.Data, os.FileMode(e.Mode&0o777)); err != nil {
			return files, fmt.Errorf("writing %s: %w", rel, err)
		}
		files = append(files, filepath.Join(share, rel))
	}
	return files, err
}

// writeFileAtomic writes data to rel inside root: a temporary file
// beside it, then a rename over it (which replaces a symlink there rather
// than following it).
func writeFileAtomic(root *os.Root, rel string, data []byte, perm os.FileMode) error {
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(rel), "."+filepath.Base(rel)+".guest-"+hex.EncodeToString(rnd[:]))
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		root.Remove(tmp)
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		root.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		root.Remove(tmp)
		return err
	}
	return root.Rename(tmp, rel)
}

// Detect tells how kernel would run here, "kvm" or "tcg", with the same
// short KVM boot test Run does for Accel "auto", on an initramfs that
// holds busybox and /init only.
func Detect(ctx context.Context, kernel string, log io.Writer) (string, error) {
	s := Spec{Kernel: kernel}
	if err := s.fill(); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "benchctl-guest-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	initrd := filepath.Join(dir, "initramfs.cpio")
	f, err := os.Create(initrd)
	if err != nil {
		return "", err
	}
	_, err = buildInitramfs(f, &s)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("building the initramfs: %w", err)
	}
	return DetectAccel(ctx, kernel, initrd, log), nil
}

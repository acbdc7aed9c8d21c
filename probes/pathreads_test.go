package probes

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/benchctl/benchctl/probes/syscalls"
)

// pathReadsEnv makes the test binary, re-executed, run pathReadsWorkload
// once its parent writes a line to its stdin.
const pathReadsEnv = "BENCHCTL_TEST_PATH_READS"

// The calls of pathReadsWorkload, by what a path read at sys_enter sees.
const (
	prUntouched = 20 // the path is on a page mapped but not yet touched
	prResident  = 5  // an ordinary path
	prEmpty     = 1  // ""
	prLong      = 1  // 5000 bytes: more than PATH_MAX
	prBad       = 1  // the pointer 1
	prCalls     = prUntouched + prResident + prEmpty + prLong + prBad
)

// pathReadsFile writes, in dir, a file that holds a path, for
// pathReadsWorkload to map.
func pathReadsFile(dir string) (*os.File, error) {
	file := filepath.Join(dir, "path")
	if err := os.WriteFile(file, append([]byte("/etc/hostname"), make([]byte, 4096)...), 0o600); err != nil {
		return nil, err
	}
	return os.Open(file)
}

// pathReadsWorkload makes each openat of the table above and nothing
// else that reads a path. A fresh mapping of f gives a page whose PTE is
// absent at sys_enter (the kernel faults it in when it copies the path,
// so it is present at sys_exit).
func pathReadsWorkload(f *os.File) error {
	cwd := unix.AT_FDCWD
	openat := func(p uintptr) {
		fd, _, _ := unix.Syscall6(unix.SYS_OPENAT, uintptr(cwd), p, unix.O_RDONLY, 0, 0, 0)
		if int(fd) >= 0 {
			unix.Close(int(fd))
		}
	}
	for i := 0; i < prUntouched; i++ {
		m, err := unix.Mmap(int(f.Fd()), 0, 4096, unix.PROT_READ, unix.MAP_PRIVATE)
		if err != nil {
			return err
		}
		openat(uintptr(unsafe.Pointer(&m[0])))
		if err := unix.Munmap(m); err != nil {
			return err
		}
	}
	resident := []byte("/etc/hostname\x00")
	for i := 0; i < prResident; i++ {
		openat(uintptr(unsafe.Pointer(&resident[0])))
	}
	empty := []byte{0}
	openat(uintptr(unsafe.Pointer(&empty[0])))
	long := []byte(strings.Repeat("a", 5000) + "\x00")
	openat(uintptr(unsafe.Pointer(&long[0])))
	openat(1)
	return nil
}

// runPathReadsChild prepares its file in the directory the variable
// names, says "ready", and runs the workload on the parent's word.
func runPathReadsChild() int {
	f, err := pathReadsFile(os.Getenv(pathReadsEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := pathReadsWorkload(f); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestPathReadCounters runs the workload above in a cgroup the probes
// follow and checks each path read counter exactly, per mode: a read at
// sys_enter fails on the untouched pages and the bad pointer, a read at
// sys_exit only on the bad pointer. The stash reads again at exit what it
// could not read at enter. It also counts the events that carry the path
// "/etc/hostname" (the untouched and the resident calls), per side.
func TestPathReadCounters(t *testing.T) {
	requireKernel(t)
	if _, err := Cgroup2Mount(); err != nil {
		t.Skip(err)
	}
	enter := PathReads{Reads: prCalls, Failed: prUntouched + prBad, Empty: prEmpty, AtLimit: prLong}
	exit := PathReads{Reads: prCalls, Failed: prBad, Empty: prEmpty, AtLimit: prLong}
	named := map[string]int{"enter": prResident, "exit": prUntouched + prResident}
	for _, tc := range []struct {
		mode   Mode
		toctou TOCTOU
		want   map[string]PathReads
		named  map[string]int // events naming the path, by side
	}{
		{ModeEnterExit, "", map[string]PathReads{"openat_enter": enter, "openat_exit": exit}, named},
		{ModeExitOnly, TOCTOUNone, map[string]PathReads{"openat_exit": exit}, map[string]int{"exit": named["exit"]}},
		// stash: the exit filler sends the stashed copy, read at enter,
		// and reads at exit the paths the enter could not read.
		{ModeExitOnly, TOCTOUStash, map[string]PathReads{"openat_enter": enter,
			"openat_exit": {Reads: prUntouched + prBad, Failed: prBad}}, map[string]int{"exit": named["exit"]}},
		{ModeExitOnly, TOCTOUEnterEvent, map[string]PathReads{"openat_enter": enter, "openat_exit": exit}, named},
	} {
		name := string(tc.mode)
		if tc.toctou != "" {
			name += "/" + string(tc.toctou)
		}
		t.Run(name, func(t *testing.T) {
			cg, err := NewCgroup("benchctl-test-pathreads")
			if err != nil {
				t.Fatal(err)
			}
			defer cg.Close()
			p, err := Load(Config{Mode: tc.mode, TOCTOU: tc.toctou, Syscalls: []string{"openat"}, CgroupID: cg.ID, CgroupFD: cg.FD()})
			if err != nil {
				t.Fatalf("loading: %+v", err)
			}
			defer p.Close()
			var mu sync.Mutex
			gotNamed := map[string]int{}
			c, err := p.StartConsumer(ConsumerOptions{OnEvent: func(ev syscalls.Event) {
				for _, v := range ev.Params {
					if v.Name == "name" && v.Format() == "/etc/hostname" {
						mu.Lock()
						gotNamed[ev.Dir]++
						mu.Unlock()
					}
				}
			}})
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), pathReadsEnv+"="+t.TempDir())
			cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: cg.FD(), Pdeathsig: syscall.SIGKILL}
			stdin, _ := cmd.StdinPipe()
			stdout, _ := cmd.StdoutPipe()
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "ready\n" {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("workload not ready (%q, %v): %s", line, err, stderr.String())
			}
			before, err := p.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(stdin, "go")
			if err := cmd.Wait(); err != nil {
				t.Fatalf("workload: %v: %s", err, stderr.String())
			}
			after, err := p.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			p.Detach()
			if _, err := c.Stop(); err != nil {
				t.Fatal(err)
			}
			got := after.Sub(before).Counters.PathReads
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("path reads\n got %+v\nwant %+v", got, tc.want)
			}
			mu.Lock()
			defer mu.Unlock()
			if fmt.Sprint(gotNamed) != fmt.Sprint(tc.named) {
				t.Errorf("events naming the path, by side: %v, want %v", gotNamed, tc.named)
			}
		})
	}
}

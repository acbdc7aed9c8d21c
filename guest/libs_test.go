package guest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseLdd(t *testing.T) {
	out := "\tlinux-vdso.so.1 (0x00007fc19c4fe000)\n" +
		"\tlibz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x00007fc19c4cd000)\n" +
		"\tlibelf.so.1 => /lib/x86_64-linux-gnu/libelf.so.1 (0x00007fc19c4b2000)\n" +
		"\t/lib64/ld-linux-x86-64.so.2 (0x00007fc19c500000)\n" +
		"\tlibz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x00007fc19c4cd000)\n"
	libs, err := parseLdd([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/lib/x86_64-linux-gnu/libelf.so.1", "/lib/x86_64-linux-gnu/libz.so.1", "/lib64/ld-linux-x86-64.so.2"}
	if strings.Join(libs, " ") != strings.Join(want, " ") {
		t.Errorf("got %v, want %v", libs, want)
	}
	if _, err := parseLdd([]byte("\tlibgone.so.3 => not found\n")); err == nil || !strings.Contains(err.Error(), "libgone.so.3") {
		t.Errorf("a missing library: error %v, want one naming it", err)
	}
}

// TestInitramfsPrograms puts a dynamically linked program of the host
// (ldd's own interpreter's client: /bin/ls, or whatever sh is) into an
// initramfs: it lands at its host path with every library ldd lists, as
// regular files, each once.
func TestInitramfsPrograms(t *testing.T) {
	prog, err := exec.LookPath("ls")
	if err != nil {
		t.Skip("no ls on PATH")
	}
	if _, err := exec.LookPath("ldd"); err != nil {
		t.Skip("no ldd on PATH")
	}
	libs, err := sharedLibraries(prog)
	if err != nil {
		t.Fatal(err)
	}
	if len(libs) == 0 {
		t.Skipf("%s is statically linked here", prog)
	}
	dir := t.TempDir()
	kernel, busybox := filepath.Join(dir, "vmlinuz"), filepath.Join(dir, "busybox")
	writeFile(t, kernel, "not a kernel", 0o644)
	writeFile(t, busybox, "#!/bin/sh\n", 0o755)
	var buf bytes.Buffer
	if _, err := BuildInitramfs(&buf, &Spec{Kernel: kernel, Busybox: busybox, Programs: []string{prog, prog}}); err != nil {
		t.Fatal(err)
	}
	entries, err := readCpio(&buf)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, e := range entries {
		count["/"+e.Name]++
		if e.Name == strings.TrimPrefix(prog, "/") {
			host, _ := os.ReadFile(prog)
			if !bytes.Equal(e.Data, host) || e.Mode&0o111 == 0 {
				t.Errorf("%s: %d bytes, mode %o; want the host's %d bytes, executable", prog, len(e.Data), e.Mode, len(host))
			}
		}
	}
	for _, p := range append([]string{prog}, libs...) {
		if count[p] != 1 {
			t.Errorf("%s is in the archive %d times, want once", p, count[p])
		}
	}
	for _, e := range entries {
		if strings.Contains(e.Name, "ld-linux") && !e.IsRegular() {
			t.Errorf("%s is not a regular file", e.Name)
		}
	}
}

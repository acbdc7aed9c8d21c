//go:build k8s

package kubecluster

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestK8sWriteImageIsReproducible: the same files give the same archive,
// and another file gives another.
func TestK8sWriteImageIsReproducible(t *testing.T) {
	dir := t.TempDir()
	files := []ImageFile{{Path: "/bin/x", Mode: 0o755, Data: []byte("x")}, {Path: "/bin/y", Link: "x"}}
	var archives [][]byte
	for i, fs := range [][]ImageFile{files, {files[1], files[0]}, {{Path: "/bin/x", Mode: 0o755, Data: []byte("z")}}} {
		p := filepath.Join(dir, "a"+string(rune('0'+i)))
		if err := WriteImage(p, "benchctl.test/x:1", []string{"/bin/x"}, fs); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		archives = append(archives, b)
	}
	if !bytes.Equal(archives[0], archives[1]) {
		t.Error("the same files in another order gave another archive")
	}
	if bytes.Equal(archives[0], archives[2]) {
		t.Error("other file contents gave the same archive")
	}
	if err := WriteImage(filepath.Join(dir, "bad"), "x", nil, []ImageFile{{Path: "bin/../x"}}); err == nil {
		t.Error("a relative path was accepted")
	}
}

// TestK8sTeardownUnmountsBeforeRemoving: a host directory bound into a
// state directory (as the kubelet binds volumes there) is unmounted before
// the state directory is removed, and keeps its files.
func TestK8sTeardownUnmountsBeforeRemoving(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to mount")
	}
	parent := t.TempDir()
	dir := filepath.Join(parent, dirPrefix+"test")
	host := filepath.Join(parent, "host")
	for _, d := range []string{filepath.Join(dir, "m"), host} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(host, "keep"), []byte("host file"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount(host, filepath.Join(dir, "m"), "", unix.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(filepath.Join(dir, "m"), unix.MNT_DETACH) })
	if got := mountsUnder(dir); len(got) != 1 || got[0] != filepath.Join(dir, "m") {
		t.Fatalf("mountsUnder(%s) = %v, want the bind mount", dir, got)
	}
	if err := teardown(dir, &record{}); err != nil {
		t.Fatalf("teardown of a directory whose mount it can undo: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s: %v, want it removed", dir, err)
	}
	if b, err := os.ReadFile(filepath.Join(host, "keep")); err != nil || string(b) != "host file" {
		t.Errorf("the bound directory's file: %q, %v: want it untouched", b, err)
	}
}

// TestK8sKillCgroupRefusesOthers: only a test cluster's cgroup is emptied.
func TestK8sKillCgroupRefusesOthers(t *testing.T) {
	for _, rel := range []string{"", "/", "/kubepods", "/system.slice/benchctl-kube-x"} {
		err := killCgroup(rel)
		if rel == "/system.slice/benchctl-kube-x" {
			// Named like ours, and absent: nothing to kill, nothing to remove.
			if err != nil {
				t.Errorf("killCgroup(%q): %v", rel, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "refusing") {
			t.Errorf("killCgroup(%q) = %v, want a refusal", rel, err)
		}
	}
}

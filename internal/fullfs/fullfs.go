// Package fullfs is for tests only: a real file system with no room
// left (a small tmpfs, mounted as root), to see what a write that fails
// half way leaves behind.
package fullfs

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Mount mounts a 64 KiB tmpfs on a fresh folder and returns it; it is
// unmounted when the test ends. The test is skipped where no tmpfs can
// be mounted (not root, no CAP_SYS_ADMIN).
func Mount(t testing.TB) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k,mode=0755"); err != nil {
		t.Skipf("cannot mount a tmpfs: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// Fill takes the room left in the file system of dir with a file named
// .filler.
func Fill(t testing.TB, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, ".filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	page := make([]byte, 4096)
	for {
		if _, err := f.Write(page); err != nil {
			return
		}
	}
}

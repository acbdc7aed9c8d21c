// Package atomicfile writes a file whole or not at all: the results
// file, reports and charts. A reader (or a benchctl killed half way, or a
// full file system) sees the old file or the new one, never part of
// either, and a path that holds something other than a regular file (a
// device node such as /dev/null, a symlink, a directory, a fifo) is never
// replaced.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrNotRegular is returned (wrapped) for a path that exists and is not
// a regular file.
var ErrNotRegular = errors.New("not a regular file")

// Check says whether path exists, and fails, wrapping ErrNotRegular,
// when it exists and is not a regular file: Write would replace it (a
// rename replaces a device node or a symlink, not what it points to).
func Check(path string) (exists bool, err error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !fi.Mode().IsRegular() {
		return true, fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, kind(fi.Mode()))
	}
	return true, nil
}

// kind names a file mode's type.
func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "not a regular file"
}

// CheckDir fails when no file can be made in dir: it makes a temporary
// file there, as Write does, and removes it.
func CheckDir(dir string) error {
	f, err := os.CreateTemp(dir, tempPattern)
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// tempPattern names the temporary files, hidden, in the target's folder.
const tempPattern = ".benchctl-*.tmp"

// Write stores data at path with permissions perm: it writes a temporary
// file in path's folder, syncs it, and renames it over path. On any
// failure path is left as it was and the temporary file is removed. It
// refuses (wrapping ErrNotRegular) a path that exists and is not a
// regular file.
func Write(path string, data []byte, perm fs.FileMode) error {
	if _, err := Check(path); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, tempPattern)
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = fill(f, data, perm)
	if err == nil {
		// Checked again just before the rename: something may have
		// been put at path meanwhile.
		_, err = Check(path)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	// The rename is durable once the folder is synced; a folder that
	// cannot be synced (some file systems refuse) still holds the file.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// fill writes data to f, syncs it, gives it perm and closes it.
func fill(f *os.File, data []byte, perm fs.FileMode) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = f.Chmod(perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

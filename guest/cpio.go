package guest

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"
)

// The kernel's initramfs format, and what busybox `cpio -o -H newc`
// writes: the "newc" (SVR4, no CRC) cpio format. Every entry is a 110-byte
// ASCII header, the NUL-terminated name padded to 4 bytes, then the data
// padded to 4 bytes; the archive ends with an entry named TRAILER!!!.

const (
	newcMagic   = "070701"
	newcTrailer = "TRAILER!!!"
	headerLen   = 110

	modeDir     = 0o040000
	modeRegular = 0o100000
	modeSymlink = 0o120000
	modeTypes   = 0o170000
)

// cpioWriter writes a newc archive. Directories are written once, each
// before its contents: the kernel does not create missing parents.
type cpioWriter struct {
	w    *bufio.Writer
	ino  uint32
	dirs map[string]bool
	err  error
}

func newCpioWriter(w io.Writer) *cpioWriter {
	return &cpioWriter{w: bufio.NewWriterSize(w, 1<<20), ino: 1, dirs: map[string]bool{".": true, "/": true, "": true}}
}

// clean turns a path into the archive's relative form ("usr/bin/x").
func clean(name string) string {
	return strings.TrimPrefix(path.Clean("/"+name), "/")
}

func (c *cpioWriter) header(name string, mode uint32, mtime time.Time, size int) {
	if c.err != nil {
		return
	}
	var sec int64
	if !mtime.IsZero() && mtime.Unix() > 0 {
		sec = mtime.Unix()
	}
	nlink := 1
	if mode&modeTypes == modeDir {
		nlink = 2
	}
	fields := []uint32{c.ino, mode, 0, 0, uint32(nlink), uint32(sec), uint32(size), 0, 0, 0, 0, uint32(len(name) + 1), 0}
	c.ino++
	var b strings.Builder
	b.WriteString(newcMagic)
	for _, f := range fields {
		fmt.Fprintf(&b, "%08X", f)
	}
	b.WriteString(name)
	b.WriteByte(0)
	for i := (4 - (headerLen+len(name)+1)%4) % 4; i > 0; i-- {
		b.WriteByte(0)
	}
	_, c.err = c.w.WriteString(b.String())
}

func (c *cpioWriter) pad(n int) {
	if c.err != nil {
		return
	}
	if r := n % 4; r != 0 {
		_, c.err = c.w.Write(make([]byte, 4-r))
	}
}

// Dir writes the directory name and its missing parents.
func (c *cpioWriter) Dir(name string, perm fs.FileMode) {
	name = clean(name)
	if c.dirs[name] {
		return
	}
	c.Dir(path.Dir(name), 0o755)
	c.dirs[name] = true
	c.header(name, modeDir|uint32(perm.Perm()), time.Time{}, 0)
}

// File writes a regular file of size bytes read from r, creating its
// parent directories first.
func (c *cpioWriter) File(name string, perm fs.FileMode, mtime time.Time, size int64, r io.Reader) {
	name = clean(name)
	c.Dir(path.Dir(name), 0o755)
	if size > 1<<32-1 {
		c.err = fmt.Errorf("%s: %d bytes is too large for a cpio archive", name, size)
		return
	}
	c.header(name, modeRegular|uint32(perm.Perm()), mtime, int(size))
	if c.err != nil {
		return
	}
	n, err := io.CopyN(c.w, r, size)
	if err != nil {
		c.err = fmt.Errorf("copying %s (%d of %d bytes): %w", name, n, size, err)
		return
	}
	c.pad(int(size))
}

// Bytes writes a regular file holding data.
func (c *cpioWriter) Bytes(name string, perm fs.FileMode, data []byte) {
	c.File(name, perm, time.Time{}, int64(len(data)), strings.NewReader(string(data)))
}

// Symlink writes name pointing to target.
func (c *cpioWriter) Symlink(name, target string) {
	name = clean(name)
	c.Dir(path.Dir(name), 0o755)
	c.header(name, modeSymlink|0o777, time.Time{}, len(target))
	if c.err == nil {
		_, c.err = c.w.WriteString(target)
		c.pad(len(target))
	}
}

// Close writes the trailer and flushes.
func (c *cpioWriter) Close() error {
	c.header(newcTrailer, 0, time.Time{}, 0)
	if c.err != nil {
		return c.err
	}
	return c.w.Flush()
}

// cpioEntry is one entry read back from a newc archive.
type cpioEntry struct {
	Name  string
	Mode  uint32 // type and permission bits, as in stat's st_mode
	MTime time.Time
	Data  []byte // a regular file's contents or a symlink's target
}

// IsDir, IsRegular and IsSymlink tell the entry's type.
func (e cpioEntry) IsDir() bool     { return e.Mode&modeTypes == modeDir }
func (e cpioEntry) IsRegular() bool { return e.Mode&modeTypes == modeRegular }
func (e cpioEntry) IsSymlink() bool { return e.Mode&modeTypes == modeSymlink }

// readCpio reads every entry of a newc archive up to its trailer; data
// beyond the trailer (padding) is ignored.
func readCpio(r io.Reader) ([]cpioEntry, error) {
	br := bufio.NewReader(r)
	var out []cpioEntry
	var off int64
	skip := func(n int64) error {
		_, err := io.CopyN(io.Discard, br, n)
		off += n
		return err
	}
	for {
		hdr := make([]byte, headerLen)
		if _, err := io.ReadFull(br, hdr); err != nil {
			return out, fmt.Errorf("reading the header at offset %d: %w (no trailer)", off, err)
		}
		off += headerLen
		if string(hdr[:6]) != newcMagic {
			return out, fmt.Errorf("bad cpio magic %q at offset %d", hdr[:6], off-headerLen)
		}
		field := func(i int) (uint32, error) {
			v, err := strconv.ParseUint(string(hdr[6+8*i:6+8*i+8]), 16, 32)
			return uint32(v), err
		}
		var f [13]uint32
		for i := range f {
			v, err := field(i)
			if err != nil {
				return out, fmt.Errorf("bad cpio header field %d at offset %d: %w", i, off-headerLen, err)
			}
			f[i] = v
		}
		mode, mtime, size, namesize := f[1], f[5], f[6], f[11]
		if namesize == 0 || namesize > 1<<16 {
			return out, fmt.Errorf("bad cpio name size %d at offset %d", namesize, off-headerLen)
		}
		name := make([]byte, namesize)
		if _, err := io.ReadFull(br, name); err != nil {
			return out, fmt.Errorf("reading a name: %w", err)
		}
		off += int64(namesize)
		if err := skip((4 - off%4) % 4); err != nil {
			return out, err
		}
		n := strings.TrimRight(string(name), "\x00")
		if n == newcTrailer {
			return out, nil
		}
		data := make([]byte, size)
		if _, err := io.ReadFull(br, data); err != nil {
			return out, fmt.Errorf("reading %s (%d bytes): %w", n, size, err)
		}
		off += int64(size)
		if err := skip((4 - off%4) % 4); err != nil {
			return out, err
		}
		out = append(out, cpioEntry{Name: n, Mode: mode, MTime: time.Unix(int64(mtime), 0), Data: data})
	}
}

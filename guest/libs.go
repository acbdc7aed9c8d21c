package guest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// sharedLibraries lists what the dynamic loader maps for program: the
// absolute paths ldd prints (the libraries and the ELF interpreter; not
// the vDSO). A statically linked program has none.
func sharedLibraries(program string) ([]string, error) {
	out, err := exec.Command("ldd", program).Output()
	if err != nil {
		if bytes.Contains(out, []byte("not a dynamic executable")) || CheckStatic(program) == nil {
			return nil, nil
		}
		return nil, fmt.Errorf("ldd %s: %w", program, err)
	}
	return parseLdd(out)
}

// parseLdd reads ldd's output: "libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)",
// "/lib64/ld-linux-x86-64.so.2 (0x...)", "linux-vdso.so.1 (0x...)". A
// library ldd did not find ("=> not found") is an error: the program
// would not start in the guest either.
func parseLdd(out []byte) ([]string, error) {
	seen := map[string]bool{}
	var libs []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		var p string
		switch {
		case len(f) >= 3 && f[1] == "=>" && f[2] == "not":
			return nil, fmt.Errorf("library %s not found on the host", f[0])
		case len(f) >= 3 && f[1] == "=>":
			p = f[2]
		case len(f) >= 1 && strings.HasPrefix(f[0], "/"):
			p = f[0]
		}
		if p != "" && strings.HasPrefix(p, "/") && !seen[p] {
			seen[p] = true
			libs = append(libs, p)
		}
	}
	sort.Strings(libs)
	return libs, sc.Err()
}

// addPrograms copies each program of s.Programs into the archive at its
// host path, with the shared libraries it needs at theirs (the file a
// library's path resolves to, so the guest needs no symlinks of the
// host's). The same library is added once.
func addPrograms(c *cpioWriter, programs []string) error {
	added := map[string]bool{}
	addFile := func(path string, perm os.FileMode) error {
		if added[path] {
			return nil
		}
		added[path] = true
		real, err := filepath.EvalSymlinks(path)
		if err != nil {
			return err
		}
		f, err := os.Open(real)
		if err != nil {
			return err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		c.File(path, perm, fi.ModTime(), fi.Size(), f)
		return c.err
	}
	for _, p := range programs {
		abs, err := filepath.Abs(p)
		if err != nil {
			return err
		}
		if p, err = exec.LookPath(abs); err != nil {
			return fmt.Errorf("program %s: %w", abs, err)
		}
		libs, err := sharedLibraries(p)
		if err != nil {
			return fmt.Errorf("program %s: %w", p, err)
		}
		if err := addFile(p, 0o755); err != nil {
			return fmt.Errorf("adding program %s: %w", p, err)
		}
		for _, l := range libs {
			if err := addFile(l, 0o755); err != nil {
				return fmt.Errorf("adding %s (a library of %s): %w", l, p, err)
			}
		}
	}
	return nil
}

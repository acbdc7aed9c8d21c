// Package imagebuild builds benchctl's OCI image without a container
// daemon (make image): a static benchctl and the programs the shipped
// scenarios run (redis-server, redis-benchmark) with their shared
// libraries, taken from Debian's packages (apt-get download, dpkg -x) at
// the versions installed here, laid in one layer onto an empty base and
// written as an OCI archive that `ctr images import` and registries take.
// The same inputs give the same digest: entries sorted, owned by root,
// stamped with one time (the commit's), gzip without a timestamp.
package imagebuild

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// File is one regular file of the image.
type File struct {
	Path string // absolute, in the image
	Mode int64
	Data []byte
}

// Options say what goes into the image.
type Options struct {
	// Files are laid in as given (benchctl at /benchctl, the programs and
	// their libraries at their paths).
	Files []File
	// Name is the image's reference (e.g. docker.io/library/benchctl:dev),
	// in the archive's index for ctr images import.
	Name string
	// Time stamps every entry and the image's creation.
	Time time.Time
}

// dirs are the folders the image has, empty or not (/tmp world-writable).
var dirs = map[string]int64{"/tmp": 0o1777, "/work": 0o755}

// layerTar lays files (and their parent folders) into a tar archive:
// sorted by path, root-owned, every entry stamped t.
func layerTar(files []File, t time.Time) ([]byte, error) {
	modes := map[string]int64{}
	for d, m := range dirs {
		modes[d] = m
	}
	byPath := map[string]File{}
	for _, f := range files {
		if !path.IsAbs(f.Path) || path.Clean(f.Path) != f.Path {
			return nil, fmt.Errorf("image path %q is not absolute and clean", f.Path)
		}
		if _, dup := byPath[f.Path]; dup {
			return nil, fmt.Errorf("image path %s given twice", f.Path)
		}
		byPath[f.Path] = f
		for d := path.Dir(f.Path); d != "/"; d = path.Dir(d) {
			if _, ok := modes[d]; !ok {
				modes[d] = 0o755
			}
		}
	}
	var names []string
	for d := range modes {
		names = append(names, d)
	}
	for p := range byPath {
		names = append(names, p)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		h := &tar.Header{Name: strings.TrimPrefix(n, "/"), ModTime: t, Uname: "root", Gname: "root", Format: tar.FormatPAX}
		if f, ok := byPath[n]; ok {
			h.Typeflag, h.Mode, h.Size = tar.TypeReg, f.Mode, int64(len(f.Data))
		} else {
			h.Typeflag, h.Mode, h.Name = tar.TypeDir, modes[n], h.Name+"/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if f, ok := byPath[n]; ok {
			if _, err := tw.Write(f.Data); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Image builds the image of o.
func Image(o Options) (v1.Image, error) {
	t := o.Time.UTC()
	data, err := layerTar(o.Files, t)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{Layer: layer, History: v1.History{Created: v1.Time{Time: t}, CreatedBy: "benchctl make image"}})
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.Architecture, cfg.OS = "amd64", "linux"
	cfg.Created = v1.Time{Time: t}
	cfg.Config.Entrypoint = []string{"/benchctl"}
	cfg.Config.Env = []string{"PATH=/usr/bin:/bin"}
	cfg.Config.WorkingDir = "/work"
	return mutate.ConfigFile(img, cfg)
}

// WriteArchive writes img as an OCI archive (an OCI image layout in a
// tar) to w, named name in its index, every entry stamped t.
func WriteArchive(w io.Writer, img v1.Image, name string, t time.Time) error {
	dir, err := os.MkdirTemp("", "benchctl-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	tag := name
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		tag = name[i+1:]
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{
		"io.containerd.image.name":          name,
		"org.opencontainers.image.ref.name": tag,
	})); err != nil {
		return err
	}
	var names []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(names)
	tw := tar.NewWriter(w)
	for _, p := range names {
		rel, _ := filepath.Rel(dir, p)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		h := &tar.Header{Name: filepath.ToSlash(rel), ModTime: t.UTC(), Uname: "root", Gname: "root", Format: tar.FormatPAX}
		if fi.IsDir() {
			h.Typeflag, h.Mode, h.Name = tar.TypeDir, 0o755, h.Name+"/"
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		h.Typeflag, h.Mode, h.Size = tar.TypeReg, 0o644, int64(len(data))
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	return tw.Close()
}

// Programs returns the files of programs (paths on this machine, e.g.
// /usr/bin/redis-server) and of the shared libraries ldd lists for them,
// taken from their Debian packages at the versions installed here
// (apt-get download into cache, dpkg -x), not from the installed files:
// the image depends on the packages' versions only.
func Programs(cache string, programs []string) ([]File, error) {
	want := map[string]bool{} // paths in the image
	for _, p := range programs {
		want[p] = true
		libs, err := lddPaths(p)
		if err != nil {
			return nil, err
		}
		for _, l := range libs {
			want[l] = true
		}
	}
	// The packages of each path, and of what it links to here: a
	// package's symlink may point into another package
	// (/usr/bin/redis-server is redis-server's, a link to
	// redis-check-rdb, which is redis-tools').
	pkgs := map[string]bool{}
	for p := range want {
		paths := []string{p}
		if real, err := filepath.EvalSymlinks(p); err == nil && real != p {
			paths = append(paths, real)
		}
		for _, q := range paths {
			pkg, err := packageOf(q)
			if err != nil {
				return nil, err
			}
			pkgs[pkg] = true
		}
	}
	root := filepath.Join(cache, "root")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	var names []string
	for p := range pkgs {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, pkg := range names {
		deb, err := download(cache, pkg)
		if err != nil {
			return nil, err
		}
		if out, err := exec.Command("dpkg", "-x", deb, root).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("dpkg -x %s: %v: %s", deb, err, out)
		}
	}
	var files []File
	for p := range want {
		data, mode, err := readInRoot(root, p)
		if err != nil {
			return nil, fmt.Errorf("%s in the packages %v: %w", p, names, err)
		}
		files = append(files, File{Path: p, Mode: mode, Data: data})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// lddPaths lists the shared libraries (and the loader) ldd resolves for
// the program p.
func lddPaths(p string) ([]string, error) {
	out, err := exec.Command("ldd", p).Output()
	if err != nil {
		return nil, fmt.Errorf("ldd %s: %w", p, err)
	}
	var libs []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 3 && f[1] == "=>" && strings.HasPrefix(f[2], "/"):
			libs = append(libs, f[2])
		case len(f) >= 1 && strings.HasPrefix(f[0], "/"):
			libs = append(libs, f[0])
		}
	}
	return libs, nil
}

// variants are the paths a file may have in a package on a merged-/usr
// system: /lib/x is /usr/lib/x.
func variants(p string) []string {
	out := []string{p}
	if rest, ok := strings.CutPrefix(p, "/usr/"); ok {
		out = append(out, "/"+rest)
	} else {
		out = append(out, "/usr"+p)
	}
	if p == "/lib64/ld-linux-x86-64.so.2" {
		out = append(out, "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
	}
	return out
}

// packageOf is the installed Debian package that holds path p.
func packageOf(p string) (string, error) {
	for _, v := range variants(p) {
		out, err := exec.Command("dpkg-query", "-S", v).Output()
		if err != nil {
			continue
		}
		line, _, _ := strings.Cut(string(out), "\n")
		pkg, _, ok := strings.Cut(line, ": ")
		if ok && !strings.Contains(pkg, "diversion") {
			pkg, _, _ = strings.Cut(pkg, ", ")
			return pkg, nil
		}
	}
	return "", fmt.Errorf("no installed package holds %s", p)
}

// download fetches pkg's .deb into cache (once) and returns its path:
// at its installed version, or, when the archive no longer has that one,
// at the version apt would install now (said on stderr: the image then
// holds a library other than this machine's).
func download(cache, pkg string) (string, error) {
	out, err := exec.Command("dpkg-query", "-W", "-f", "${Package} ${Version} ${Architecture}", pkg).Output()
	if err != nil {
		return "", fmt.Errorf("the installed version of %s: %w", pkg, err)
	}
	f := strings.Fields(string(out))
	if len(f) != 3 {
		return "", fmt.Errorf("the installed version of %s: %q", pkg, out)
	}
	name, installed, arch := strings.Split(f[0], ":")[0], f[1], f[2]
	versions := []string{installed}
	if cand, err := exec.Command("apt-cache", "show", "--no-all-versions", name+":"+arch).Output(); err == nil {
		for _, line := range strings.Split(string(cand), "\n") {
			if v, ok := strings.CutPrefix(line, "Version: "); ok && v != installed {
				versions = append(versions, v)
				break
			}
		}
	}
	var errs []string
	for _, v := range versions {
		deb := filepath.Join(cache, fmt.Sprintf("%s_%s_%s.deb", name, strings.ReplaceAll(v, ":", "%3a"), arch))
		if _, err := os.Stat(deb); err == nil {
			return deb, nil
		}
		spec := name + ":" + arch + "=" + v
		cmd := exec.Command("apt-get", "download", spec)
		cmd.Dir = cache
		b, err := cmd.CombinedOutput()
		if err != nil {
			errs = append(errs, fmt.Sprintf("apt-get download %s: %v: %s", spec, err, strings.TrimSpace(string(b))))
			continue
		}
		if _, err := os.Stat(deb); err != nil {
			errs = append(errs, fmt.Sprintf("apt-get download %s wrote no %s", spec, filepath.Base(deb)))
			continue
		}
		if v != installed {
			fmt.Fprintf(os.Stderr, "imagebuild: %s %s is installed, but the archive has %s: the image holds %s\n", name, installed, v, v)
		}
		return deb, nil
	}
	return "", errors.New(strings.Join(errs, "; "))
}

// readInRoot reads the file at p (or its merged-/usr variant) under
// root, following symlinks inside root.
func readInRoot(root, p string) ([]byte, int64, error) {
	for _, v := range variants(p) {
		cur := v
		for range 16 {
			full := filepath.Join(root, cur)
			fi, err := os.Lstat(full)
			if err != nil {
				break
			}
			if fi.Mode()&fs.ModeSymlink != 0 {
				target, err := os.Readlink(full)
				if err != nil {
					break
				}
				if !path.IsAbs(target) {
					target = path.Join(path.Dir(cur), target)
				}
				cur = target
				continue
			}
			data, err := os.ReadFile(full)
			if err != nil {
				return nil, 0, err
			}
			return data, int64(fi.Mode().Perm()), nil
		}
	}
	return nil, 0, fmt.Errorf("not found")
}

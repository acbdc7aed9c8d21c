package imagebuild

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func testFiles() []File {
	return []File{
		{Path: "/usr/bin/prog", Mode: 0o755, Data: []byte("#!/bin/true\n")},
		{Path: "/benchctl", Mode: 0o755, Data: []byte("not really benchctl")},
		{Path: "/lib/x86_64-linux-gnu/libx.so.1", Mode: 0o644, Data: bytes.Repeat([]byte{1}, 5000)},
	}
}

// build returns the image's digest and the archive's bytes.
func build(t *testing.T, files []File, when time.Time) (string, []byte) {
	t.Helper()
	img, err := Image(Options{Files: files, Name: "docker.io/library/benchctl:test", Time: when})
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteArchive(&buf, img, "docker.io/library/benchctl:test", when); err != nil {
		t.Fatal(err)
	}
	return d.String(), buf.Bytes()
}

// TestReproducible: the same files and time give the same image digest
// and the same archive, byte for byte, whatever the order the files come
// in; another time gives another digest.
func TestReproducible(t *testing.T) {
	when := time.Unix(1765000000, 0)
	d1, a1 := build(t, testFiles(), when)
	files := testFiles()
	files[0], files[2] = files[2], files[0]
	d2, a2 := build(t, files, when)
	if d1 != d2 || !bytes.Equal(a1, a2) {
		t.Errorf("two builds differ: %s and %s (archives %x, %x)", d1, d2, sha256.Sum256(a1), sha256.Sum256(a2))
	}
	if d3, _ := build(t, testFiles(), when.Add(time.Second)); d3 == d1 {
		t.Errorf("another time gave the same digest %s", d3)
	}
}

// TestArchive: the archive is an OCI layout whose index names the image
// for ctr images import, and every entry is root's and stamped with the
// time given.
func TestArchive(t *testing.T) {
	when := time.Unix(1765000000, 0)
	_, a := build(t, testFiles(), when)
	tr := tar.NewReader(bytes.NewReader(a))
	var names []string
	var index []byte
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if !h.ModTime.Equal(when) || h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s: time %v uid %d gid %d", h.Name, h.ModTime, h.Uid, h.Gid)
		}
		if h.Name == "index.json" {
			index, _ = io.ReadAll(tr)
		}
	}
	for _, want := range []string{"oci-layout", "index.json", "blobs/"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("archive lacks %s: %v", want, names)
		}
	}
	var idx struct {
		Manifests []struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(index, &idx); err != nil || len(idx.Manifests) != 1 || idx.Manifests[0].Annotations["io.containerd.image.name"] != "docker.io/library/benchctl:test" {
		t.Errorf("index.json %s: want one manifest named docker.io/library/benchctl:test", index)
	}
}

// TestLayerTar: folders are made for every file, /tmp is world-writable
// and sticky, entries are sorted; a path given twice or not clean is
// refused.
func TestLayerTar(t *testing.T) {
	data, err := layerTar(testFiles(), time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(data))
	var got []string
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		got = append(got, h.Name)
		if h.Name == "tmp/" && h.Mode != 0o1777 {
			t.Errorf("/tmp mode %o", h.Mode)
		}
	}
	want := "benchctl lib/ lib/x86_64-linux-gnu/ lib/x86_64-linux-gnu/libx.so.1 tmp/ usr/ usr/bin/ usr/bin/prog work/"
	if strings.Join(got, " ") != want {
		t.Errorf("entries %q, want %q", strings.Join(got, " "), want)
	}
	if _, err := layerTar(append(testFiles(), File{Path: "/benchctl"}), time.Unix(0, 0)); err == nil {
		t.Error("a path given twice was taken")
	}
	if _, err := layerTar([]File{{Path: "/a/../b"}}, time.Unix(0, 0)); err == nil {
		t.Error("a path not clean was taken")
	}
}

// TestPrograms: redis-server's files come from its Debian packages with
// every library ldd names (make image's input), the same each time.
func TestPrograms(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: downloads Debian packages")
	}
	for _, c := range []string{"redis-server", "apt-get", "dpkg"} {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("no %s here (make deps installs redis)", c)
		}
	}
	cache := t.TempDir()
	files, err := Programs(cache, []string{"/usr/bin/redis-server"})
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string]bool{}
	for _, f := range files {
		paths[f.Path] = true
	}
	for _, want := range []string{"/usr/bin/redis-server", "/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/libc.so.6"} {
		if !paths[want] {
			t.Errorf("no %s among %v", want, paths)
		}
	}
	d1, _ := build(t, files, time.Unix(0, 0))
	again, err := Programs(cache, []string{"/usr/bin/redis-server"})
	if err != nil {
		t.Fatal(err)
	}
	if d2, _ := build(t, again, time.Unix(0, 0)); d1 != d2 {
		t.Errorf("two builds of redis-server's files differ: %s, %s", d1, d2)
	}
}

// Command benchctl-image writes benchctl's OCI image as an OCI archive
// (make image): a static benchctl, and redis-server and redis-benchmark
// with their libraries from Debian's packages. See internal/imagebuild.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/benchctl/benchctl/internal/atomicfile"
	"github.com/benchctl/benchctl/internal/imagebuild"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "benchctl-image: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	benchctl := flag.String("benchctl", "", "the statically linked benchctl to put at /benchctl (required)")
	cache := flag.String("cache", ".cache/image", "where the .deb files are downloaded and unpacked")
	name := flag.String("name", "docker.io/library/benchctl:dev", "the image's name in the archive")
	out := flag.String("o", "bin/benchctl-image.tar", "the OCI archive to write")
	epoch := flag.String("epoch", os.Getenv("SOURCE_DATE_EPOCH"), "the time of every entry, in seconds since 1970 (default $SOURCE_DATE_EPOCH)")
	flag.Parse()
	if *benchctl == "" || *epoch == "" {
		flag.Usage()
		return fmt.Errorf("-benchctl and -epoch (or SOURCE_DATE_EPOCH) are required")
	}
	secs, err := strconv.ParseInt(*epoch, 10, 64)
	if err != nil {
		return fmt.Errorf("-epoch %q: %w", *epoch, err)
	}
	t := time.Unix(secs, 0).UTC()
	data, err := os.ReadFile(*benchctl)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*cache, 0o755); err != nil {
		return err
	}
	files, err := imagebuild.Programs(*cache, []string{"/usr/bin/redis-server", "/usr/bin/redis-benchmark"})
	if err != nil {
		return err
	}
	files = append(files, imagebuild.File{Path: "/benchctl", Mode: 0o755, Data: data})
	img, err := imagebuild.Image(imagebuild.Options{Files: files, Name: *name, Time: t})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := imagebuild.WriteArchive(&buf, img, *name, t); err != nil {
		return err
	}
	if err := atomicfile.Write(*out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	d, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("%s %s %s\n", *out, *name, d)
	return nil
}

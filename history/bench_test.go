package history

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/benchctl/benchctl/bench/results"
)

// The history benchmarks (make bench-history; -benchtime 1x is enough).
// Each runs against SQLite and, when its binaries are there, a
// throwaway PostgreSQL (see pg_test.go).

// writeResultsFiles writes n distinct results files into dir: copies of
// base.json (redis.yaml, 7 variants of 5 to 6 runs), each started an hour
// after the one before.
func writeResultsFiles(b *testing.B, dir string, n int) {
	b.Helper()
	r, err := results.ReadResults(filepath.Join(testdata, "base.json"))
	if err != nil {
		b.Fatal(err)
	}
	t0 := r.Started
	for i := range n {
		r.Started = t0.Add(time.Duration(i) * time.Hour)
		r.Seed = int64(i)
		if err := r.Write(filepath.Join(dir, fmt.Sprintf("run-%04d.json", i))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkImport1000 imports 1,000 results files into an empty store.
func BenchmarkImport1000(b *testing.B) {
	dir := b.TempDir()
	writeResultsFiles(b, dir, 1000)
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				s, err := Open(context.Background(), be.url(b))
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				st, err := Import(context.Background(), s, []string{dir}, func(err error) { b.Error(err) })
				if err != nil || st.Added != 1000 {
					b.Fatalf("%+v, %v", st, err)
				}
				b.StopTimer()
				s.Close()
				b.StartTimer()
			}
		})
	}
}

// BenchmarkQuery10000 reads the series of one figure of 10,000 runs.
func BenchmarkQuery10000(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s, err := Open(context.Background(), be.url(b))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			for i := range 10000 {
				if _, err := s.Add(context.Background(), synthFile(i, 200, "bench")); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				points, err := s.Points(context.Background(), Query{Metric: "ns_per_syscall", Variant: "exit_only"})
				if err != nil || len(points) != 10000 {
					b.Fatalf("%d points, %v", len(points), err)
				}
			}
		})
	}
}

func init() {
	// Keep the benchmarks' temporary files off a small /tmp when asked.
	if d := os.Getenv("BENCHCTL_BENCH_TMP"); d != "" {
		os.Setenv("TMPDIR", d)
	}
}

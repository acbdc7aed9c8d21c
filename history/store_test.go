package history

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/benchctl/benchctl/bench/changepoint"
)

const testdata = "../bench/compare/testdata"

func TestImportIsIdempotent(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		warn := func(err error) { t.Error(err) }
		st, err := Import(ctx, s, []string{testdata}, warn)
		if err != nil {
			t.Fatal(err)
		}
		if st.Read != 5 || st.Added != 5 || st.Known != 0 || st.Failed != 0 {
			t.Errorf("first import: %+v, want 5 read and added", st)
		}
		// Again, the folder and one file by name: nothing new.
		st, err = Import(ctx, s, []string{testdata, filepath.Join(testdata, "base.json")}, warn)
		if err != nil {
			t.Fatal(err)
		}
		if st.Added != 0 || st.Known != 6 {
			t.Errorf("second import: %+v, want 0 added, 6 known", st)
		}
		if n, err := s.Files(ctx); err != nil || n != 5 {
			t.Errorf("store holds %d files (%v), want 5", n, err)
		}
		// Every gated figure of every measured run is there: base.json's
		// small/exit_only has 5 runs, so 5 values and a point of 5.
		points, err := s.Points(ctx, Query{Metric: "ns_per_syscall", Variant: "small/exit_only", Scenario: "redis"})
		if err != nil {
			t.Fatal(err)
		}
		if len(points) != 4 {
			t.Fatalf("%d points of redis small/exit_only, want 4 (base, head, head_slow, ten)", len(points))
		}
		for _, p := range points {
			if p.Env.Host != "bench-kvm-2" || p.Env.Kernel == "" || p.Env.CPUModel == "" || p.N < 4 || p.Median < 100 || p.Gate == nil {
				t.Errorf("point %+v", p)
			}
		}
	})
}

func TestImportReportsBadFiles(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		var warned []error
		st, err := Import(context.Background(), s, []string{"store_test.go", filepath.Join(testdata, "nonexistent.json")}, func(err error) { warned = append(warned, err) })
		if err != nil {
			t.Fatal(err)
		}
		if st.Failed != 2 || len(warned) != 2 || st.Added != 0 {
			t.Errorf("%+v, warned %v", st, warned)
		}
	})
}

func TestNewerSchemaIsRefused(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			url := b.url(t)
			s, err := Open(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			ss := s.(*sqlStore)
			if _, err := ss.db.Exec(ss.bind(`INSERT INTO schema_migrations (version, applied_ns) VALUES (?, 0)`), SchemaVersion+1); err != nil {
				t.Fatal(err)
			}
			s.Close()
			if _, err := Open(context.Background(), url); !errors.Is(err, ErrNewerSchema) {
				t.Errorf("opening a newer schema: %v, want ErrNewerSchema", err)
			}
		})
	}
}

func TestReopenKeepsData(t *testing.T) {
	url := filepath.Join(t.TempDir(), "h.db")
	for range 2 {
		s, err := Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Add(context.Background(), synthFile(0, 100, "a")); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	db, _ := sql.Open("sqlite", url)
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != SchemaVersion {
		t.Errorf("%d migrations recorded (%v), want %d", n, err, SchemaVersion)
	}
}

// synthFile is a results file as the store keeps it: run i of a series
// on host, whose ns_per_syscall runs spread around level.
func synthFile(i int, level float64, host string) File {
	rng := rand.New(rand.NewPCG(uint64(i), uint64(len(host)+int(host[0]))))
	f := File{
		SHA256:   fmt.Sprintf("%x", sha256.Sum256([]byte(fmt.Sprint(i, host)))),
		Path:     fmt.Sprintf("run-%04d.json", i),
		Scenario: "gate", ScenarioSHA256: "abc",
		Started:  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour),
		Complete: true,
		Env:      Env{Host: host, Kernel: "6.12.0", CPUModel: "Xeon", Arch: "amd64"},
		Build:    Build{Version: "v0.1.0", Commit: fmt.Sprintf("%040x", i+1)},
		Gate:     map[string]float64{"ns_per_syscall": 3, "overhead": 5},
	}
	var runs, over []RunValue
	file := 1 + 0.007*rng.NormFloat64()
	for r := range 6 {
		runs = append(runs, RunValue{Round: r, Value: level * file * (1 + 0.008*rng.NormFloat64())})
		over = append(over, RunValue{Round: r, Value: 20 + rng.NormFloat64(), Noisy: r == 5})
	}
	f.Variants = []VariantRecord{
		{Name: "baseline"},
		{Name: "exit_only", Tracer: Tracer{Name: "t", Executable: "/usr/bin/t", SHA256: "ff", Argv: []string{"t", "-x"}},
			Metrics: []MetricRecord{{Metric: "ns_per_syscall", NoiseFree: true, Runs: runs}, {Metric: "overhead", Runs: over}}},
	}
	return f
}

// addSeries records n runs on host with a step of step (relative) from
// run at on.
func addSeries(t testing.TB, s Store, host string, n, at int, step float64) {
	t.Helper()
	for i := range n {
		level := 200.0
		if i >= at {
			level *= 1 + step
		}
		if _, err := s.Add(context.Background(), synthFile(i, level, host)); err != nil {
			t.Fatal(err)
		}
	}
}

// analyses is what `history show` computes, as its JSON.
func analyses(t *testing.T, s Store, metric string, merge []string) (string, []Analysis) {
	t.Helper()
	points, err := s.Points(context.Background(), Query{Metric: metric})
	if err != nil {
		t.Fatal(err)
	}
	var as []Analysis
	for _, series := range Group(points, merge) {
		as = append(as, Analyze(series, changepoint.Options{Permutations: 99}))
	}
	var b bytes.Buffer
	if err := Write(&b, "json", as); err != nil {
		t.Fatal(err)
	}
	return b.String(), as
}

// The same data in SQLite and in PostgreSQL give the same answers, to
// the byte, and the step planted on one host is found there only.
func TestStoresGiveIdenticalAnswers(t *testing.T) {
	outs := map[string]string{}
	forEachStore(t, func(t *testing.T, s Store) {
		addSeries(t, s, "host-a", 40, 25, 0.06)
		addSeries(t, s, "host-b", 40, 40, 0)
		if _, err := Import(context.Background(), s, []string{testdata}, func(err error) { t.Error(err) }); err != nil {
			t.Fatal(err)
		}
		out, as := analyses(t, s, "ns_per_syscall", nil)
		outs[t.Name()] = out
		found := map[string][]int{}
		for _, a := range as {
			for _, c := range a.Changes {
				found[a.Series.Key.Env.Host] = append(found[a.Series.Key.Env.Host], c.Index)
			}
		}
		if len(found) != 1 || len(found["host-a"]) != 1 || found["host-a"][0] != 25 {
			t.Errorf("change points by host: %v, want host-a's at run 25 only", found)
		}
		for _, a := range as {
			if a.Series.Key.Env.Host == "host-a" {
				c := a.Changes[0]
				if c.Change < 4 || c.Change > 8 || !c.Regression || c.LastBefore.Path != "run-0024.json" || c.FirstAfter.Path != "run-0025.json" || c.Before.Lo == nil {
					t.Errorf("host-a's change: %+v", c)
				}
			}
		}
		// Merged, the hosts are one series (of 80 points, interleaved).
		_, merged := analyses(t, s, "ns_per_syscall", []string{"host"})
		n := 0
		for _, a := range merged {
			if a.Series.Key.Scenario == "gate" {
				n++
				if len(a.Series.Points) != 80 {
					t.Errorf("merged series has %d points, want 80", len(a.Series.Points))
				}
			}
		}
		if n != 1 {
			t.Errorf("%d merged gate series, want 1", n)
		}
		for _, format := range []string{"text", "markdown", "html"} {
			var b bytes.Buffer
			if err := Write(&b, format, as); err != nil || !strings.Contains(b.String(), "run-0025") && !strings.Contains(b.String(), "change") {
				t.Errorf("%s: %v\n%s", format, err, b.String())
			}
		}
	})
	if a, b := outs["TestStoresGiveIdenticalAnswers/sqlite"], outs["TestStoresGiveIdenticalAnswers/postgres"]; b != "" && a != b {
		t.Errorf("SQLite and PostgreSQL answer differently:\nsqlite:\n%s\npostgres:\n%s", a, b)
	}
}

func TestCheck(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		addSeries(t, s, "regressed", 30, 20, 0.06)
		addSeries(t, s, "improved", 30, 20, -0.06)
		addSeries(t, s, "flat", 30, 30, 0)
		addSeries(t, s, "short", 5, 5, 0)
		// +0.3% a run for 40 runs: no step, but 12% in all.
		for i := range 40 {
			if _, err := s.Add(context.Background(), synthFile(i, 200*(1+0.003*float64(i)), "drifting")); err != nil {
				t.Fatal(err)
			}
		}
		_, as := analyses(t, s, "ns_per_syscall", nil)
		want := map[string]string{"regressed": StatusRegression, "improved": StatusOK, "flat": StatusOK, "short": StatusInconclusive, "drifting": StatusRegression}
		for _, a := range as {
			host := a.Series.Key.Env.Host
			v := Check(a, 3, time.Time{})
			if v.Status != want[host] {
				t.Errorf("%s: %s (%s), want %s", host, v.Status, v.Reason, want[host])
			}
			if host == "drifting" && (a.Drift == nil || !strings.Contains(v.Reason, "drifts")) {
				t.Errorf("drifting: %+v, %s", a.Drift, v.Reason)
			}
			// Beyond a threshold of 10%, the 6% step passes.
			if v := Check(a, 10, time.Time{}); host == "regressed" && v.Status != StatusOK {
				t.Errorf("%s with threshold 10: %s (%s)", host, v.Status, v.Reason)
			}
			// --since after the step: it is not checked.
			since := time.Date(2026, 1, 1, 21, 0, 0, 0, time.UTC)
			if v := Check(a, 3, since); host == "regressed" && v.Status != StatusOK {
				t.Errorf("%s since run 21: %s (%s)", host, v.Status, v.Reason)
			}
		}
	})
}

// Several jobs opening one new store at once all succeed, and migrate it
// once.
func TestConcurrentOpen(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			url := b.url(t)
			errs := make(chan error, 4)
			for range 4 {
				go func() {
					s, err := Open(context.Background(), url)
					if err == nil {
						s.Close()
					}
					errs <- err
				}()
			}
			for range 4 {
				if err := <-errs; err != nil {
					t.Error(err)
				}
			}
			s, err := Open(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var n int
			if err := s.(*sqlStore).db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != SchemaVersion {
				t.Errorf("%d migrations recorded (%v), want %d", n, err, SchemaVersion)
			}
		})
	}
}

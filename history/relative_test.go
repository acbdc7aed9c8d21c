package history

import (
	"math"
	"testing"
)

func TestRelative(t *testing.T) {
	pt := func(sha, variant, metric string, median float64) Point {
		return Point{Run: RunRef{SHA256: sha}, Scenario: "gate", Variant: variant, Metric: metric, PointValue: PointValue{Median: median, Min: median - 1, Max: median + 1}}
	}
	points := []Point{
		pt("a", "base", "ns_per_syscall", 100), pt("a", "head", "ns_per_syscall", 110),
		pt("b", "base", "ns_per_syscall", 120), pt("b", "head", "ns_per_syscall", 126),
		pt("c", "head", "ns_per_syscall", 50), // no base in file c: left out
	}
	got := Relative(points, "head", "base")
	if len(got) != 2 || got[0].Variant != "head vs base" || math.Abs(got[0].Median-110) > 1e-9 || math.Abs(got[1].Median-105) > 1e-9 || math.Abs(got[1].Max-127.0/120*100) > 1e-9 {
		t.Errorf("Relative: %+v", got)
	}
	// Percentages are compared in points.
	over := Relative([]Point{pt("a", "base", "overhead", 20), pt("a", "head", "overhead", 23)}, "head", "base")
	if len(over) != 1 || math.Abs(over[0].Median-3) > 1e-9 {
		t.Errorf("Relative overhead: %+v", over)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://bench:s3cret@db.internal/benchctl": "postgres://bench:xxxxx@db.internal/benchctl",
		"postgres://bench@db.internal/benchctl":        "postgres://bench@db.internal/benchctl",
		"history.db":                                   "history.db",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

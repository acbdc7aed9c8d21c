package changepoint

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// naiveQ is the E-Divisive statistic of one split, straight from its
// definition, for checking the Fenwick-tree version.
func naiveQ(x []float64, tau int) float64 {
	a, b := x[:tau], x[tau:]
	var cross, wa, wb float64
	for _, u := range a {
		for _, v := range b {
			cross += math.Abs(u - v)
		}
	}
	for i := range a {
		for j := i + 1; j < len(a); j++ {
			wa += math.Abs(a[i] - a[j])
		}
	}
	for i := range b {
		for j := i + 1; j < len(b); j++ {
			wb += math.Abs(b[i] - b[j])
		}
	}
	n1, n2 := float64(len(a)), float64(len(b))
	e := 2*cross/(n1*n2) - wa/(n1*(n1-1)/2) - wb/(n2*(n2-1)/2)
	return n1 * n2 / (n1 + n2) * e
}

func TestBestSplitMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var ws workspace
	for trial := 0; trial < 50; trial++ {
		n := 8 + rng.IntN(40)
		x := make([]float64, n)
		for i := range x {
			x[i] = math.Round(rng.NormFloat64() * 3) // ties too
			if i > n/2 {
				x[i] += 2
			}
		}
		tau, q := ws.bestSplit(x, 3)
		wantTau, wantQ := -1, math.Inf(-1)
		for s := 3; s <= n-3; s++ {
			if v := naiveQ(x, s); v > wantQ+1e-9 {
				wantTau, wantQ = s, v
			}
		}
		if math.Abs(q-wantQ) > 1e-6*math.Max(1, math.Abs(wantQ)) || math.Abs(naiveQ(x, tau)-wantQ) > 1e-6*math.Max(1, math.Abs(wantQ)) {
			t.Fatalf("x=%v: bestSplit = %d (Q %g), want %d (Q %g)", x, tau, q, wantTau, wantQ)
		}
	}
}

func TestEDivisiveFindsTwoSteps(t *testing.T) {
	x := make([]float64, 90)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range x {
		x[i] = 100 + rng.NormFloat64()
		switch {
		case i >= 60:
			x[i] += 5
		case i >= 30:
			x[i] += 10
		}
	}
	got := EDivisive(x, Options{})
	var idx []int
	for _, p := range got {
		idx = append(idx, p.Index)
		if p.P > DefaultAlpha {
			t.Errorf("point %d kept with p %g > alpha", p.Index, p.P)
		}
	}
	if !slices.Equal(idx, []int{30, 60}) {
		t.Errorf("change points at %v, want [30 60]", idx)
	}
}

func TestEDivisiveShortAndFlat(t *testing.T) {
	if got := EDivisive([]float64{1, 2, 3}, Options{}); len(got) != 0 {
		t.Errorf("3 values: %v", got)
	}
	flat := make([]float64, 40)
	for i := range flat {
		flat[i] = 7
	}
	if got := Detect(flat, Options{}); len(got.Points) != 0 || got.Drift != nil {
		t.Errorf("constant series: %+v", got)
	}
}

func TestDetectIsDeterministic(t *testing.T) {
	x := realistic(rand.New(rand.NewPCG(9, 9)), 60, 30, 0.05, 0)
	a, b := Detect(x, Options{}), Detect(x, Options{})
	if len(a.Points) != len(b.Points) {
		t.Fatalf("two runs differ: %v, %v", a, b)
	}
	for i := range a.Points {
		if a.Points[i] != b.Points[i] {
			t.Fatalf("two runs differ: %v, %v", a, b)
		}
	}
}

// The noise of the synthetic series, from the spread of the shipped
// results files (bench/compare/testdata: redis.yaml on a 2-CPU KVM
// guest). Within one file, ns_per_syscall's runs spread by a standard
// deviation of about 0.8% of their median (small/enter_exit of ten.json:
// 177.7 to 183.3 around 179.2; big/exit_only 236.7 to 242.1 around
// 238.8); a series point is a file's median of 6 runs. Between files,
// base.json and head.json of the same build differ by up to 0.9%
// (small/exit_only 115.9 against 117.1): a per-file term of 0.7%. On top
// of that one file in 50 is off by +3% (a noisy neighbour).
const (
	runCV    = 0.008
	fileCV   = 0.007
	outlierP = 0.02
	outlier  = 0.03
)

// realistic draws a series of n points around 100: each the median of 6
// runs, a step of size step (relative) from index at on, and a drift of
// drift (relative) per run.
func realistic(rng *rand.Rand, n, at int, step, drift float64) []float64 {
	x := make([]float64, n)
	runs := make([]float64, 6)
	for i := range x {
		level := 100 * (1 + drift*float64(i))
		if i >= at {
			level *= 1 + step
		}
		file := 1 + fileCV*rng.NormFloat64()
		if rng.Float64() < outlierP {
			file += outlier
		}
		for j := range runs {
			runs[j] = level * file * (1 + runCV*rng.NormFloat64())
		}
		sort.Float64s(runs)
		x[i] = (runs[2] + runs[3]) / 2
	}
	return x
}

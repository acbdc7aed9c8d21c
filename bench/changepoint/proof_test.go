package changepoint

import (
	"math/rand/v2"
	"testing"
)

// The proof that the detector works, on series with the noise of real
// runs (see realistic), with fixed seeds. The tests use 99 permutations,
// not 199: the smallest p-value, 0.01, still reaches DefaultAlpha.
var proofOptions = Options{Permutations: 99}

// A +5% step after run 30 of 60 is found, at the right run (±1), in at
// least 9 of 10 series.
func TestProofStepFound(t *testing.T) {
	const series, n, at = 10, 60, 30
	found := 0
	for s := range series {
		x := realistic(rand.New(rand.NewPCG(uint64(100+s), 1)), n, at, 0.05, 0)
		r := Detect(x, proofOptions)
		ok := false
		for _, p := range r.Points {
			if p.Index >= at-1 && p.Index <= at+1 {
				ok = true
			}
		}
		if ok && r.Drift == nil {
			found++
		} else {
			t.Logf("series %d: %+v", s, r)
		}
	}
	t.Logf("+5%% step at run %d of %d: found at ±1 in %d of %d series", at, n, found, series)
	if found < 9 {
		t.Errorf("step found in %d of %d series, want at least 9", found, series)
	}
}

// 200 A/A series of 60 runs give at most 5% (10) series with a change
// point or a drift.
func TestProofAAFalseChanges(t *testing.T) {
	const series, n = 200, 60
	falses := 0
	for s := range series {
		x := realistic(rand.New(rand.NewPCG(uint64(1000+s), 2)), n, n, 0, 0)
		r := Detect(x, proofOptions)
		if len(r.Points) > 0 || r.Drift != nil {
			falses++
		}
	}
	t.Logf("A/A: %d of %d series with a false change point or drift (%.1f%%)", falses, series, 100*float64(falses)/series)
	if falses > series/20 {
		t.Errorf("%d of %d A/A series had a change, want at most 5%%", falses, series)
	}
}

// A slow drift of +0.2% per run over 60 runs (12% in all) is reported as
// a drift with about that slope, and not as a staircase: at most one
// step besides it, in at least 9 of 10 series.
func TestProofDriftIsADrift(t *testing.T) {
	const series, n = 10, 60
	ok := 0
	for s := range series {
		x := realistic(rand.New(rand.NewPCG(uint64(5000+s), 3)), n, n, 0, 0.002)
		r := Detect(x, proofOptions)
		plain := EDivisive(x, proofOptions)
		if r.Drift != nil && len(r.Points) <= 1 && r.Drift.Slope > 0.1 && r.Drift.Slope < 0.3 {
			ok++
		}
		t.Logf("series %d: drift %+v, %d steps on top; E-Divisive alone: %d steps", s, r.Drift, len(r.Points), len(plain))
	}
	t.Logf("0.2%%/run drift: reported as a drift in %d of %d series", ok, series)
	if ok < 9 {
		t.Errorf("drift reported as such in %d of %d series, want at least 9", ok, series)
	}
}

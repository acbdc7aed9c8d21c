package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Power is the probability of detecting a change with which the minimum
// detectable change is stated: a "no change" verdict means that a change
// at least as large as MinDetectable would have been called in at least
// Power of repeated measurements like this one.
const Power = 0.80

// MDCResamples is the number of bootstrap resamples behind a minimum
// detectable change, and mdcSeed the fixed seed of their generator, so
// that one results file always gives the same figure.
const (
	MDCResamples = 2000
	mdcSeed      = 0x6d6463 // "mdc"
)

// Tests that decide a gated figure.
const (
	TestMannWhitney = "Mann-Whitney U"
	TestWilcoxon    = "Wilcoxon signed-rank"
)

// mwUpperTail returns P(U ≥ u) for u = 0..n1·n2 under the null
// hypothesis of the Mann-Whitney test without ties, where U counts the
// pairs (i, j) with head_j > base_i. It is the exact distribution, built
// on the largest of the i+j values: with probability i/(i+j) it is a
// base value, which no head value beats, and with j/(i+j) a head value,
// which beats all i base values:
// P(i, j, u) = i/(i+j)·P(i−1, j, u) + j/(i+j)·P(i, j−1, u−i).
func mwUpperTail(n1, n2 int) []float64 {
	maxU := n1 * n2
	unit := func() []float64 { d := make([]float64, maxU+1); d[0] = 1; return d }
	// prev[i] is the distribution for (i, j−1), cur[i] for (i, j).
	prev := make([][]float64, n1+1)
	for i := range prev {
		prev[i] = unit()
	}
	for j := 1; j <= n2; j++ {
		cur := make([][]float64, n1+1)
		cur[0] = unit()
		for i := 1; i <= n1; i++ {
			c := make([]float64, maxU+1)
			pi, pj := float64(i)/float64(i+j), float64(j)/float64(i+j)
			for u := range c {
				c[u] = pi * cur[i-1][u]
				if u >= i {
					c[u] += pj * prev[i][u-i]
				}
			}
			cur[i] = c
		}
		prev = cur
	}
	return upperTail(prev[n1])
}

// upperTail turns a distribution over 0..len−1 into P(X ≥ x).
func upperTail(dist []float64) []float64 {
	tail := make([]float64, len(dist)+1)
	for x := len(dist) - 1; x >= 0; x-- {
		tail[x] = tail[x+1] + dist[x]
	}
	return tail[:len(dist)]
}

// criticalCount is the smallest k with P(X ≥ k) ≤ alpha/2 (one tail of a
// two-sided test at alpha), for tail = P(X ≥ x); ok is false when no
// outcome reaches it.
func criticalCount(tail []float64, alpha float64) (k int, ok bool) {
	for x, p := range tail {
		if p <= alpha/2*(1+1e-12) {
			return x, true
		}
	}
	return 0, false
}

// maxExactPairs bounds the exact distributions: beyond n1·n2 (or n·(n+1))
// of this size the tests use the normal approximation.
const maxExactPairs = 10000

// MinP is the smallest two-sided p-value the test can give with n1 and
// n2 values (n1 = n2 = the number of pairs for the paired test): at best
// every head value lies above every base value (every difference is
// positive). With MinP > alpha nothing can be called.
func MinP(test string, n1, n2 int) float64 {
	if n1 == 0 || n2 == 0 {
		return 1
	}
	if test == TestWilcoxon {
		return math.Min(1, 2*math.Pow(0.5, float64(n1)))
	}
	// 2 / C(n1+n2, n1)
	lc, _ := math.Lgamma(float64(n1 + n2 + 1))
	l1, _ := math.Lgamma(float64(n1 + 1))
	l2, _ := math.Lgamma(float64(n2 + 1))
	return math.Min(1, 2*math.Exp(l1+l2-lc))
}

// MinDetectable is the smallest shift of head against base, in the
// values' own unit, that the test (TestMannWhitney over independent
// samples, TestWilcoxon over pairs base[i], head[i]) would find
// significant at alpha in a fraction Power of measurements like this
// one. It is +Inf when the test cannot reach alpha at these sample sizes
// (MinP > alpha), NaN when a side has no values.
//
// Method: a bootstrap of the spread. The residuals of each side around
// its own median (for pairs: of the differences around their median)
// are pooled and scaled by sqrt(n/(n−c)) for the c medians fitted
// (see inflate); MDCResamples times, samples of the same sizes are drawn
// from them with replacement (a fixed seed), and for each the smallest
// shift the exact test would call is found without searching: the
// Mann-Whitney U of head+δ against base reaches its critical count k
// once δ exceeds the k-th smallest difference base_i − head_j, and the
// Wilcoxon W+ of d+δ reaches k once δ exceeds minus the k-th largest
// Walsh average (d_i + d_j)/2, i ≤ j. The minimum detectable change is
// the Power quantile of those shifts.
func MinDetectable(test string, base, head []float64, alpha float64) float64 {
	if alpha <= 0 {
		alpha = DefaultAlpha
	}
	paired := test == TestWilcoxon
	if paired && len(base) != len(head) {
		panic(fmt.Sprintf("stats.MinDetectable: %d base values and %d head values are not pairs", len(base), len(head)))
	}
	if len(base) == 0 || len(head) == 0 {
		return math.NaN()
	}
	if MinP(test, len(base), len(head)) > alpha {
		return math.Inf(1)
	}
	var resid []float64
	if paired {
		d := make([]float64, len(base))
		for i := range base {
			d[i] = head[i] - base[i]
		}
		resid = inflate(residuals(d), 1)
	} else {
		resid = inflate(append(residuals(base), residuals(head)...), 2)
	}
	rng := rand.New(rand.NewPCG(mdcSeed, uint64(len(base))<<32|uint64(len(head))))
	draw := func(n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = resid[rng.IntN(len(resid))]
		}
		return out
	}
	shifts := make([]float64, MDCResamples)
	if paired {
		n := len(base)
		k, ok := criticalCount(wilcoxonTail(intRanks(n)), alpha)
		if !ok {
			return math.Inf(1)
		}
		walsh := make([]float64, 0, n*(n+1)/2)
		for r := range shifts {
			d := draw(n)
			walsh = walsh[:0]
			for i := range d {
				for j := i; j < n; j++ {
					walsh = append(walsh, (d[i]+d[j])/2)
				}
			}
			slices.Sort(walsh)
			shifts[r] = -walsh[len(walsh)-k]
		}
	} else {
		n1, n2 := len(base), len(head)
		k, ok := criticalCount(mwTail(n1, n2), alpha)
		if !ok {
			return math.Inf(1)
		}
		diffs := make([]float64, n1*n2)
		for r := range shifts {
			b, h := draw(n1), draw(n2)
			for i := range b {
				for j := range h {
					diffs[i*n2+j] = b[i] - h[j]
				}
			}
			slices.Sort(diffs)
			shifts[r] = diffs[k-1]
		}
	}
	slices.Sort(shifts)
	idx := int(math.Ceil(Power*float64(len(shifts)))) - 1
	return math.Max(0, shifts[idx])
}

// mwTail is mwUpperTail, or its normal approximation for samples too
// large for the exact distribution.
func mwTail(n1, n2 int) []float64 {
	if n1*n2 <= maxExactPairs {
		return mwUpperTail(n1, n2)
	}
	mean := float64(n1*n2) / 2
	sd := math.Sqrt(float64(n1*n2*(n1+n2+1)) / 12)
	return normalTail(n1*n2, mean, sd)
}

// normalTail is P(X ≥ x), x = 0..max, of a normal approximation with a
// continuity correction.
func normalTail(max int, mean, sd float64) []float64 {
	tail := make([]float64, max+1)
	for x := range tail {
		tail[x] = 0.5 * math.Erfc((float64(x)-0.5-mean)/(sd*math.Sqrt2))
	}
	return tail
}

// inflate scales residuals around fitted centres by sqrt(n/(n−centres)),
// the usual correction of a residual bootstrap: residuals scatter less
// than the values they come from, by the centres fitted to them.
func inflate(resid []float64, centres int) []float64 {
	n := len(resid)
	if n <= centres {
		return resid
	}
	f := math.Sqrt(float64(n) / float64(n-centres))
	for i := range resid {
		resid[i] *= f
	}
	return resid
}

// residuals returns xs minus their median.
func residuals(xs []float64) []float64 {
	m := Summarize(xs).Median
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = x - m
	}
	return out
}

package stats

import (
	"math"
	"sort"
)

// wilcoxonTail returns P(W ≥ w), w = 0..Σweights, where W is the sum of
// the weights that get a + sign when every sign is + or − with
// probability ½ independently: the null distribution of the signed-rank
// statistic W+ given its (integer) rank weights.
func wilcoxonTail(weights []int) []float64 {
	total := 0
	for _, w := range weights {
		total += w
	}
	dist := make([]float64, total+1)
	dist[0] = 1
	sum := 0
	for _, w := range weights {
		sum += w
		for x := sum; x >= 0; x-- {
			v := 0.5 * dist[x]
			if x >= w {
				v += 0.5 * dist[x-w]
			}
			dist[x] = v
		}
	}
	return upperTail(dist)
}

// intRanks returns the ranks 1..n.
func intRanks(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

// SignedRank is the Wilcoxon signed-rank test of the differences d
// (head − base of one pair each): it drops zero differences, ranks the
// others by absolute value (midranks for ties) and returns the two-sided
// p-value of W+, the sum of the ranks of the positive differences, from
// its exact distribution given those ranks (every sign flipped with
// probability ½), or a normal approximation beyond maxExactPairs. n is
// the number of non-zero differences; p is 1 when there are none.
func SignedRank(d []float64) (p float64, n int) {
	var nz []float64
	for _, x := range d {
		if x != 0 && !math.IsNaN(x) {
			nz = append(nz, x)
		}
	}
	n = len(nz)
	if n == 0 {
		return 1, 0
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return math.Abs(nz[idx[a]]) < math.Abs(nz[idx[b]]) })
	// Doubled midranks are integers.
	ranks2 := make([]int, n)
	for i := 0; i < n; {
		j := i
		for j+1 < n && math.Abs(nz[idx[j+1]]) == math.Abs(nz[idx[i]]) {
			j++
		}
		r2 := i + 1 + j + 1 // 2 × the mean of ranks i+1..j+1
		for k := i; k <= j; k++ {
			ranks2[idx[k]] = r2
		}
		i = j + 1
	}
	w := 0
	for i, x := range nz {
		if x > 0 {
			w += ranks2[i]
		}
	}
	total := n * (n + 1) // Σ doubled ranks
	var upper, lower float64
	if n*(n+1)/2 <= maxExactPairs {
		tail := wilcoxonTail(ranks2)
		upper = tail[w]
		// P(W ≤ w) = P(W' ≥ total − w) by symmetry of the signs.
		lower = tail[total-w]
	} else {
		var sq float64
		for _, r := range ranks2 {
			sq += float64(r) * float64(r)
		}
		mean, sd := float64(total)/2, math.Sqrt(sq)/2
		upper = 0.5 * math.Erfc((float64(w)-1-mean)/(sd*math.Sqrt2))
		lower = 0.5 * math.Erfc((mean-float64(w)-1)/(sd*math.Sqrt2))
	}
	return math.Min(1, 2*math.Min(upper, lower)), n
}

// ComparePaired compares pairs (base[i], head[i]), e.g. the runs of base
// and head in the same round, with a Wilcoxon signed-rank test of the
// differences head[i] − base[i] at level alpha (DefaultAlpha when 0).
// Base and Head are the summaries of each side and Change the relative
// change of their medians, as in CompareSamples; only P and Significant
// come from the pairs. It panics when the slices differ in length.
func ComparePaired(base, head []float64, alpha float64) Delta {
	if len(base) != len(head) {
		panic("stats.ComparePaired: base and head are not pairs")
	}
	if alpha <= 0 {
		alpha = DefaultAlpha
	}
	d := Delta{Base: Summarize(base), Head: Summarize(head), Alpha: alpha, P: 1, Test: TestWilcoxon}
	d.Change = relChange(d.Base.Median, d.Head.Median)
	if len(base) == 0 {
		d.Warnings = append(d.Warnings, "no pairs")
		return d
	}
	diffs := make([]float64, len(base))
	for i := range base {
		diffs[i] = head[i] - base[i]
	}
	var n int
	d.P, n = SignedRank(diffs)
	d.Significant = d.P <= alpha
	if n < len(diffs) && n > 0 {
		d.Warnings = append(d.Warnings, "pairs with no difference left out of the signed-rank test")
	}
	if mp := MinP(TestWilcoxon, len(diffs), len(diffs)); mp > alpha {
		d.Warnings = appendOnce(d.Warnings, WarnNoDetectPaired)
	}
	return d
}

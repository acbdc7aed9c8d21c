package changepoint

import (
	"math"
	"math/rand/v2"
	"sort"
)

// Defaults of Options.
const (
	DefaultAlpha        = 0.01
	DefaultPermutations = 199
	DefaultMinSize      = 4
	DefaultSeed         = 1
)

// Options tune the detector. Zero values take the defaults.
type Options struct {
	// Alpha is the significance level: a change point is kept while the
	// permutation test's p-value is at most Alpha (DefaultAlpha).
	Alpha float64
	// Permutations is the number of permutations of each test
	// (DefaultPermutations); the smallest p-value it can give is
	// 1/(Permutations+1).
	Permutations int
	// MinSize is the fewest values a segment may have (DefaultMinSize,
	// at least 2).
	MinSize int
	// Seed seeds the permutations, so a series always gives the same
	// answer (DefaultSeed).
	Seed uint64
}

func (o Options) withDefaults() Options {
	if o.Alpha <= 0 {
		o.Alpha = DefaultAlpha
	}
	if o.Permutations <= 0 {
		o.Permutations = DefaultPermutations
	}
	if o.MinSize < 2 {
		o.MinSize = DefaultMinSize
	}
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	return o
}

// MinSeries is the shortest series in which o can find a change point:
// two segments of MinSize.
func (o Options) MinSeries() int { return 2 * o.withDefaults().MinSize }

// Point is one change point: the series changed between Index-1 and
// Index.
type Point struct {
	// Index is the first value after the change.
	Index int `json:"index"`
	// Q is the E-Divisive statistic of the split (the scaled energy
	// distance between the values before and after it in their segment).
	Q float64 `json:"q"`
	// P is the permutation test's p-value when the point was found:
	// (1 + permutations whose best split was at least as strong) /
	// (1 + permutations).
	P float64 `json:"p"`
}

// EDivisive finds the change points of x by hierarchical E-Divisive means
// (alpha = 1): each step splits the segment whose best split has the
// largest statistic Q (its end fixed at the segment's end, as Otava and
// MongoDB do), and keeps the split while a permutation test (the values
// shuffled within each segment, the best split over all segments found
// again) gives it a p-value of at most o.Alpha. The points are returned
// in index order.
func EDivisive(x []float64, o Options) []Point {
	o = o.withDefaults()
	rng := rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15))
	type segment struct {
		lo, hi int
		tau    int // best split, -1 when none
		q      float64
	}
	var ws workspace
	eval := func(lo, hi int) segment {
		tau, q := ws.bestSplit(x[lo:hi], o.MinSize)
		if tau >= 0 {
			tau += lo
		}
		return segment{lo, hi, tau, q}
	}
	segs := []segment{eval(0, len(x))}
	var points []Point
	buf := make([]float64, len(x))
	for {
		best := -1
		for i, s := range segs {
			if s.tau >= 0 && (best < 0 || s.q > segs[best].q) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		obs := segs[best].q
		// Permutation test, stopped as soon as its p-value can no
		// longer reach alpha.
		limit := int(math.Floor(o.Alpha*float64(o.Permutations+1))) - 1
		exceed := 0
		for r := 0; r < o.Permutations && exceed <= limit; r++ {
			maxQ := math.Inf(-1)
			for _, s := range segs {
				if s.hi-s.lo < 2*o.MinSize {
					continue
				}
				p := buf[s.lo:s.hi]
				copy(p, x[s.lo:s.hi])
				rng.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
				if _, q := ws.bestSplit(p, o.MinSize); q > maxQ {
					maxQ = q
				}
			}
			if maxQ >= obs {
				exceed++
			}
		}
		if exceed > limit {
			break
		}
		p := float64(exceed+1) / float64(o.Permutations+1)
		s := segs[best]
		points = append(points, Point{Index: s.tau, Q: obs, P: p})
		left, right := eval(s.lo, s.tau), eval(s.tau, s.hi)
		segs = append(segs[:best], append([]segment{left, right}, segs[best+1:]...)...)
	}
	sort.Slice(points, func(i, j int) bool { return points[i].Index < points[j].Index })
	return points
}

// workspace holds the buffers of bestSplit, reused across calls.
type workspace struct {
	order  []int
	rank   []int
	within []float64 // within-left sums, by split
	suffix []float64 // within-right sums, by split
	cnt    []float64
	sum    []float64
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// bestSplit returns the split tau of seg (values seg[:tau] against
// seg[tau:], each at least minSize long) with the largest E-Divisive
// statistic
//
//	Q(tau) = n1·n2/(n1+n2) · (2/(n1·n2)·Σ|a−b| − Σ|a−a'|/C(n1,2) − Σ|b−b'|/C(n2,2)),
//
// and that statistic; tau is -1 when seg is too short. The pair sums of
// every prefix and suffix come from a Fenwick tree over the values'
// ranks, so the search is O(n log n), not O(n²).
func (w *workspace) bestSplit(seg []float64, minSize int) (int, float64) {
	m := len(seg)
	if m < 2*minSize {
		return -1, math.Inf(-1)
	}
	w.order = grow(w.order, m)
	w.rank = grow(w.rank, m)
	for i := range w.order {
		w.order[i] = i
	}
	sort.Slice(w.order, func(a, b int) bool { return seg[w.order[a]] < seg[w.order[b]] })
	for r, i := range w.order {
		w.rank[i] = r
	}
	w.within = grow(w.within, m+1)
	w.suffix = grow(w.suffix, m+1)
	w.cnt = grow(w.cnt, m+1)
	w.sum = grow(w.sum, m+1)

	// pass fills out[t] with the sum of |x_i − x_j| over the pairs of the
	// first t values visited.
	pass := func(out []float64, reverse bool) {
		clear(w.cnt)
		clear(w.sum)
		var totCnt, totSum, acc float64
		out[0] = 0
		for k := 0; k < m; k++ {
			i := k
			if reverse {
				i = m - 1 - k
			}
			x, r := seg[i], w.rank[i]+1
			var c, s float64
			for j := r; j > 0; j -= j & -j {
				c += w.cnt[j]
				s += w.sum[j]
			}
			acc += x*c - s + (totSum - s) - x*(totCnt-c)
			out[k+1] = acc
			for j := r; j <= m; j += j & -j {
				w.cnt[j]++
				w.sum[j] += x
			}
			totCnt++
			totSum += x
		}
	}
	pass(w.within, false)
	pass(w.suffix, true)
	total := w.within[m]
	bestTau, bestQ := -1, math.Inf(-1)
	for tau := minSize; tau <= m-minSize; tau++ {
		n1, n2 := float64(tau), float64(m-tau)
		a := w.within[tau]     // pairs inside seg[:tau]
		b := w.suffix[m-tau]   // pairs inside seg[tau:]
		cross := total - a - b // pairs across the split
		e := 2*cross/(n1*n2) - 2*a/(n1*(n1-1)) - 2*b/(n2*(n2-1))
		q := n1 * n2 / (n1 + n2) * e
		if q > bestQ {
			bestTau, bestQ = tau, q
		}
	}
	return bestTau, bestQ
}

package changepoint

import (
	"math"
)

// Drift is a slow, steady change: the series is better described by one
// straight line than by a staircase of steps.
type Drift struct {
	// Slope is the change per run (ordinary least squares), Intercept
	// the fitted value of the first run; From and To the fitted values
	// of the first and the last run.
	Slope     float64 `json:"slope"`
	Intercept float64 `json:"intercept"`
	From      float64 `json:"from"`
	To        float64 `json:"to"`
	// P is the two-sided p-value of the Mann-Kendall trend test.
	P float64 `json:"p"`
}

// Result is what Detect found.
type Result struct {
	// Points are the change points, in index order: the steps of the
	// series, or, when it drifts, the steps left around the fitted line.
	Points []Point `json:"points"`
	// Drift is set when the series drifts.
	Drift *Drift `json:"drift,omitempty"`
}

// Detect finds the change points of x (EDivisive) and tells whether x is
// a drift instead: a slow change of a little every run makes E-Divisive
// cut a line into a staircase of steps, none of which is where anything
// happened. x drifts when the Mann-Kendall test finds a monotonic trend
// (p ≤ o.Alpha) and one straight line explains x better than the steps
// do by the Bayesian information criterion (n·ln(RSS/n) + k·ln n, with 2
// parameters for the line and 2s+1 for s steps: a mean per segment and
// a position per step). Then the steps reported are those E-Divisive
// finds in what the line leaves (steps on top of the drift).
func Detect(x []float64, o Options) Result {
	o = o.withDefaults()
	points := EDivisive(x, o)
	n := len(x)
	if n < o.MinSeries() {
		return Result{Points: points}
	}
	p := mannKendall(x)
	if p > o.Alpha {
		return Result{Points: points}
	}
	slope, icept := lineFit(x)
	rssLine := 0.0
	resid := make([]float64, n)
	for i, v := range x {
		resid[i] = v - (icept + slope*float64(i))
		rssLine += resid[i] * resid[i]
	}
	if bic(rssLine, n, 2) >= bic(stepsRSS(x, points), n, 2*len(points)+1) {
		return Result{Points: points}
	}
	d := &Drift{Slope: slope, Intercept: icept, From: icept, To: icept + slope*float64(n-1), P: p}
	return Result{Points: EDivisive(resid, o), Drift: d}
}

func bic(rss float64, n, k int) float64 {
	// A perfect fit (identical values) must not give -Inf for both.
	rss = math.Max(rss, 1e-300)
	return float64(n)*math.Log(rss/float64(n)) + float64(k)*math.Log(float64(n))
}

// stepsRSS is the squared error of x around the means of the segments the
// points cut it into.
func stepsRSS(x []float64, points []Point) float64 {
	rss, lo := 0.0, 0
	cut := func(hi int) {
		if hi <= lo {
			return
		}
		mean := 0.0
		for _, v := range x[lo:hi] {
			mean += v
		}
		mean /= float64(hi - lo)
		for _, v := range x[lo:hi] {
			rss += (v - mean) * (v - mean)
		}
		lo = hi
	}
	for _, p := range points {
		cut(p.Index)
	}
	cut(len(x))
	return rss
}

// lineFit fits x = icept + slope·i by least squares.
func lineFit(x []float64) (slope, icept float64) {
	n := float64(len(x))
	var si, sx, sii, six float64
	for i, v := range x {
		f := float64(i)
		si += f
		sx += v
		sii += f * f
		six += f * v
	}
	den := n*sii - si*si
	if den == 0 {
		return 0, sx / n
	}
	slope = (n*six - si*sx) / den
	return slope, (sx - slope*si) / n
}

// mannKendall is the two-sided p-value of the Mann-Kendall trend test of
// x (normal approximation with continuity correction, ties corrected).
func mannKendall(x []float64) float64 {
	n := len(x)
	s := 0.0
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			switch {
			case x[j] > x[i]:
				s++
			case x[j] < x[i]:
				s--
			}
		}
	}
	// Tie correction: Σ t(t−1)(2t+5) over groups of equal values.
	counts := map[float64]float64{}
	for _, v := range x {
		counts[v]++
	}
	fn := float64(n)
	v := fn * (fn - 1) * (2*fn + 5)
	for _, t := range counts {
		v -= t * (t - 1) * (2*t + 5)
	}
	v /= 18
	if v <= 0 {
		return 1
	}
	z := 0.0
	switch {
	case s > 0:
		z = (s - 1) / math.Sqrt(v)
	case s < 0:
		z = (s + 1) / math.Sqrt(v)
	}
	return math.Erfc(math.Abs(z) / math.Sqrt2)
}

package workloads

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// ErrNotFinite is returned (wrapped) for a number in a program's output
// that is NaN, infinite or too large for a float64: "NaN ops/s" from a
// command workload, "drops: inf" from a tracer. Such a value would poison
// every figure derived from it and cannot be stored in the results file
// (JSON has no NaN), so the run it came from fails, and only that run.
var ErrNotFinite = errors.New("not a finite number")

// ParseFinite reads a number from text another program (or the kernel)
// printed, as strconv.ParseFloat does, and refuses, wrapping
// ErrNotFinite, one that is not finite. Every number benchctl parses out
// of external text as a float goes through it.
func ParseFinite(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		// ParseFloat returns ±Inf with ErrRange for 1e400.
		return 0, fmt.Errorf("%q: %w", s, ErrNotFinite)
	}
	if err != nil {
		return 0, err
	}
	return v, nil
}

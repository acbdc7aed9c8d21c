package changepoint

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkDetect1000 is the change points of a 1,000-run series (two
// real steps, realistic noise) with 199 permutations (the issue's
// target: under 2 s on a 2-core machine).
func BenchmarkDetect1000(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 7))
	x := realistic(rng, 1000, 400, 0.05, 0)
	for i := 700; i < len(x); i++ {
		x[i] *= 0.97
	}
	b.ResetTimer()
	for b.Loop() {
		r := Detect(x, Options{Permutations: 199})
		if len(r.Points) < 2 {
			b.Fatalf("found %v", r.Points)
		}
	}
}

package scenario

import (
	"strings"
	"testing"

	"github.com/benchctl/benchctl/bench/results"
)

// TestParseNoise: the noise key sets the noise thresholds (an unset one
// keeps its default), strictly: unknown keys and impossible values are
// file:line errors with a hint.
func TestParseNoise(t *testing.T) {
	head := "name: n\nworkload: {type: syscalls, mix: getpid, count: 1000}\nsets: {a: [getpid]}\nmodes: [exit_only]\n"
	sc, err := ParseBytes("s.yaml", []byte(head+"noise: {steal_pct: 10}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Noise == nil || *sc.Noise != (results.NoiseThresholds{StealPct: 10, OutsidePct: results.DefaultNoise.OutsidePct}) {
		t.Errorf("noise %+v", sc.Noise)
	}
	if sc, err := ParseBytes("s.yaml", []byte(head)); err != nil || sc.Noise != nil {
		t.Errorf("no noise key: %+v, %v", sc.Noise, err)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"noise: {steal_pct: 101}\n", "s.yaml:5: impossible noise threshold 101 for noise steal_pct (hint: a noise threshold is a percentage from 0 to 100, such as 5)"},
		{"noise: {outside: 5}\n", `s.yaml:5: noise: unknown key "outside" (hint: did you mean outside_pct?)`},
		{"noise: {outside_pct: lots}\n", "s.yaml:5:"},
	} {
		_, err := ParseBytes("s.yaml", []byte(head+tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

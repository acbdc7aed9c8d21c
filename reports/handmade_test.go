package reports

import (
	"strings"
	"testing"

	"github.com/benchctl/benchctl/reports/internal/golden"
)

// TestHandmadeMarkdown checks the tables of the markdown report of
// golden.Handmade against the figures worked out in its comment.
func TestHandmadeMarkdown(t *testing.T) {
	md := string(render(t, golden.Handmade(), FormatMarkdown, Options{}))
	for _, want := range []string{
		"3 rounds measured, 3 variants shuffled in every round (seed 7).",
		"Changes are Mann-Whitney U tests at alpha 0.05",

		"| variant | mode | sys_enter avg | sys_exit avg | other avg | kernel time | events | bytes | avg event | drops | throughput | vs baseline |\n" +
			"| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n" +
			"| `baseline` | none | — | — | — | — | — | — | — | — | 1.00k ops/s | — |\n" +
			"| `s/enter_exit` | enter_exit | 45.0 ns | 65.0 ns | — | 110 µs | 1.90k | 95.0 kB | 50.0 B | 100 | 850 ops/s | -15.0% |\n" +
			"| `s/exit_only` | exit_only | — | 77.0 ns | — | 77.0 µs | 998 | 79.8 kB | 80.0 B | 2 | 920 ops/s | -8.00% |\n" +
			"\n",

		"| variant | kernel ns/syscall | events/syscall | enter share | exit share | overhead | drop ratio | failed path reads |\n" +
			"| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n" +
			"| `s/enter_exit` | 110 ns | 1.90 | 40.9% | 59.1% | 15.0% | 5.00% | 1.50% |\n" +
			"| `s/exit_only` | 77.0 ns | 0.998 | 0% | 100.0% | 8.00% | 0.20% | 0% |\n" +
			"\n",

		"`s/exit_only` against `s/enter_exit`; 1 syscall traced: getpid.",
		"| metric | enter_exit | exit_only | change | p |\n" +
			"| --- | ---: | ---: | ---: | ---: |\n" +
			"| kernel time | 110 µs | 77.0 µs | ~¹ | p=0.100 n=3 |\n" +
			"| kernel ns/syscall | 110 ns | 77.0 ns | ~¹ | p=0.100 n=3 |\n" +
			"| sys_exit avg | 65.0 ns | 77.0 ns | ~¹ | p=0.100 n=3 |\n" +
			"| events | 1.90k | 998 | ~¹ | p=0.100 n=3 |\n" +
			"| bytes | 95.0 kB | 79.8 kB | ~¹ | p=0.100 n=3 |\n" +
			"| throughput | 850 ops/s | 920 ops/s | ~¹ | p=0.100 n=3 |\n" +
			"\n" +
			// markdown escapes the note's "<".
			"¹ too few samples to detect a difference (Mann-Whitney needs n ≥ 4 on a side for p &lt; 0.05)\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown report lacks:\n%s\n--- report:\n%s", want, md)
			return
		}
	}
}

// TestHandmadeMarkdownAlpha: at alpha 0.2 the same pairs (p = 0.1) are
// significant, and the change column gives the change of the medians:
// kernel time 110 → 77 µs is -30.0% (−33/110), events 1900 → 998 is
// -47.5% (−902/1900 = −0.47474), bytes 95000 → 79840 is -16.0%
// (−15160/95000 = −0.15958), throughput 850 → 920 is +8.2% (70/850 = 0.08235), sys_exit
// avg 65 → 77 ns is +18.5% (12/65 = 0.18462).
func TestHandmadeMarkdownAlpha(t *testing.T) {
	md := string(render(t, golden.Handmade(), FormatMarkdown, Options{Alpha: 0.2}))
	for _, want := range []string{
		"Changes are Mann-Whitney U tests at alpha 0.2",
		"| kernel time | 110 µs | 77.0 µs | -30.0% | p=0.100 n=3 |\n" +
			"| kernel ns/syscall | 110 ns | 77.0 ns | -30.0% | p=0.100 n=3 |\n" +
			"| sys_exit avg | 65.0 ns | 77.0 ns | +18.5% | p=0.100 n=3 |\n" +
			"| events | 1.90k | 998 | -47.5% | p=0.100 n=3 |\n" +
			"| bytes | 95.0 kB | 79.8 kB | -16.0% | p=0.100 n=3 |\n" +
			"| throughput | 850 ops/s | 920 ops/s | +8.2% | p=0.100 n=3 |\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown report at alpha 0.2 lacks:\n%s\n--- report:\n%s", want, md)
			return
		}
	}
}

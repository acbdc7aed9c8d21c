package scenario

import (
	"strings"
	"testing"
)

// TestDecodeErrors pins whole error lists of the decoder: unknown keys in
// nested sections, merge and non-scalar keys, duplicates in a list item,
// and the order of several errors on one line (a section is decoded when
// its checks run, so they come in the order of the checks).
func TestDecodeErrors(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"workload: {type: syscalls, mix: getpid, count: 10}\nsets: {a: [getpid]}\ntracers:\n  t:\n    argv: [/bin/sh]\n    sets: {a: []}\n    ready:\n      outptu: x\n    stop:\n      signal: TERM\n      grce: 1s\n",
			`s.yaml:8: tracer t ready: unknown key "outptu" (hint: did you mean output?)
s.yaml:11: tracer t stop: unknown key "grce" (hint: did you mean grace?)`},
		{"workload: {type: syscalls, mix: getpid, count: 10}\nrepetitions:\n  min: 3\n  maxx: 9\n",
			`s.yaml:4: repetitions: unknown key "maxx" (hint: did you mean max?)`},
		{"base: &b {type: syscalls}\nworkload:\n  <<: *b\n  mix: getpid\n",
			`s.yaml:1: scenario: unknown key "base" (hint: did you mean gate, name?)
s.yaml:2: workload has no type (hint: add ` + "`type: redis`, `type: syscalls` or `type: command`" + `)
s.yaml:3: merge keys are not supported in workload (hint: spell the keys out instead of merging with <<)`},
		{"workload: {type: syscalls, mix: getpid, count: 10}\n[a]: 1\n",
			`s.yaml:2: scenario has a key that is not a scalar (hint: keys are plain words)`},
		{"workload: {type: syscalls, mix: getpid, count: 10}\nvariants:\n  - mode: floor\n    stats: false\n    stats: true\n",
			`s.yaml:5: variant: key "stats" given twice (hint: the first one is on line 4; remove one)`},
		{"{name: 'bad name', workload: {type: syscalls, mix: getpid, count: 10, bogus: 1}, warmup: x, variants: [{mode: exit_onyl, stats: maybe}, {mode: floor, set: a}], colour: blue}\n",
			`s.yaml:1: scenario: unknown key "colour" (hint: valid: capacity, consumer, description, floor, gate, modes, name, noise, nostats_sets, repetitions, ring_size, sets, snaplen, stats, steps, toctou, tracers, variants, warmup, workload)
s.yaml:1: invalid scenario name "bad name" (hint: use letters, digits, '_', '.' and '-' (it goes into file names))
s.yaml:1: workload: unknown key "bogus" (hint: valid: argv, benchmark, clients, count, data_size, dir, duration, env, estimate, keyspace, mix, pipeline, rate, requests, server, shell, tests, threads, threads, throughput_regex, transport, type, unit)
s.yaml:1: warmup must be a whole number, not "x" (hint: write a whole number from 0 to 100)
s.yaml:1: unknown mode "exit_onyl" (hint: did you mean exit_only?)
s.yaml:1: variant stats must be true or false, not "maybe" (hint: write true or false)
s.yaml:1: a floor variant takes no syscalls (hint: floor attaches empty programs and traces nothing; remove set/syscalls)`},
		{"workload:\n  type: syscalls\n  mix: getpid\n  count: 10\nsets: {a: [getpid]}\ntracers:\n  t: {argv: [], sets: {b: [1]}, design: both, env: {X: '${NOPE}'}, stop: {signal: INT}, counters: ['(']}\n",
			`s.yaml:7: unknown design "both" (hint: valid: enter_exit, exit_only, other)
s.yaml:7: tracer t argv is empty (hint: give the program and its arguments, such as [bpftrace, -e, '...'])
s.yaml:7: tracer t env X uses ${NOPE}, which is not set (hint: export NOPE=... or pass --set NOPE=...)
s.yaml:7: tracer t set b item must be a string, not 1 (hint: quote it if you mean the text)
s.yaml:7: tracer t counter: error parsing regexp: missing closing ): ` + "`(`" + ` (hint: write a Go regular expression with named groups, such as 'n_drops: (?P<drops>\d+)')`},
	}
	for _, c := range cases {
		_, err := ParseBytes("s.yaml", []byte(c.yaml))
		if err == nil || err.Error() != c.want {
			t.Errorf("%s\ngot:\n%v\nwant:\n%s", c.yaml, err, c.want)
		}
	}
}

// TestKeyTableRejectsUnknownDestination: a key whose destination read
// has no reader for (here an *int64) is a mistake in the key tables, and
// stops the parse at once instead of dropping the value.
func TestKeyTableRejectsUnknownDestination(t *testing.T) {
	var n int64
	defer func() {
		msg, _ := recover().(string)
		if !strings.Contains(msg, `key "count" has a destination of type *int64`) {
			t.Errorf("recovered %q, want the key and its type named", msg)
		}
	}()
	var p parser
	p.read(field{}, nil, key{name: "count", dst: &n})
	t.Error("read took a destination of type *int64")
}

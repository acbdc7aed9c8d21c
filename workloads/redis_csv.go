package workloads

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// redisLatencyColumns maps redis-benchmark's CSV latency columns (redis
// 6.2 and later) to the Latency field they fill.
func redisLatencyColumns() []struct {
	name string
	set  func(*Latency, float64)
} {
	return []struct {
		name string
		set  func(*Latency, float64)
	}{
		{"avg_latency_ms", func(l *Latency, v float64) { l.AvgMs = v }},
		{"min_latency_ms", func(l *Latency, v float64) { l.MinMs = v }},
		{"p50_latency_ms", func(l *Latency, v float64) { l.P50Ms = v }},
		{"p95_latency_ms", func(l *Latency, v float64) { l.P95Ms = v }},
		{"p99_latency_ms", func(l *Latency, v float64) { l.P99Ms = v }},
		{"max_latency_ms", func(l *Latency, v float64) { l.MaxMs = v }},
	}
}

// parseRedisCSV parses the output of redis-benchmark --csv.
//
// Redis 6.2 and later print a header line
//
//	"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
//
// and then one quoted line per test; columns are found by their header
// name, so their order does not matter. Older versions print no header
// and only "TEST","rps" per line; a headerless line with the eight
// columns above is read in that order. Blank lines, lines that do not
// start with a double quote (warnings) and repeated header lines are
// skipped; a quoted line that cannot be read, lacks a column or holds a
// number that does not parse is an error.
func parseRedisCSV(out []byte) ([]TestResult, error) {
	var (
		tests  []TestResult
		header map[string]int // column name -> index; nil before a header
		lineNo int
	)
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		if line == "" || !strings.HasPrefix(line, `"`) {
			continue
		}
		r := csv.NewReader(strings.NewReader(line))
		r.FieldsPerRecord = -1
		fields, err := r.Read()
		if err != nil {
			return nil, fmt.Errorf("line %d: reading CSV: %w", lineNo, err)
		}
		for i := range fields {
			fields[i] = strings.TrimSpace(fields[i])
		}
		if strings.EqualFold(fields[0], "test") {
			h, err := parseRedisHeader(fields)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", lineNo, err)
			}
			header = h
			continue
		}
		t, err := parseRedisRow(fields, header)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", lineNo, err)
		}
		tests = append(tests, t)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading lines: %w", err)
	}
	return tests, nil
}

func parseRedisHeader(fields []string) (map[string]int, error) {
	h := make(map[string]int, len(fields))
	for i, f := range fields {
		h[strings.ToLower(f)] = i
	}
	if _, ok := h["rps"]; !ok {
		return nil, fmt.Errorf("header has no rps column: %q", strings.Join(fields, ","))
	}
	return h, nil
}

func parseRedisRow(fields []string, header map[string]int) (TestResult, error) {
	if header == nil && len(fields) == 1+1+len(redisLatencyColumns()) {
		header = map[string]int{"rps": 1}
		for i, c := range redisLatencyColumns() {
			header[c.name] = 2 + i
		}
	}
	rpsCol := 1
	if header != nil {
		rpsCol = header["rps"]
	}
	name := fields[0]
	if name == "" {
		return TestResult{}, errors.New("empty test name")
	}
	if len(fields) <= rpsCol {
		return TestResult{}, fmt.Errorf("test %q: no rps column", name)
	}
	rps, err := parseRedisNumber(fields[rpsCol])
	if err != nil {
		return TestResult{}, fmt.Errorf("test %q: rps: %w", name, err)
	}
	t := TestResult{Name: name, Throughput: rps}

	var lat Latency
	found := 0
	for _, c := range redisLatencyColumns() {
		i, ok := header[c.name]
		if !ok {
			continue
		}
		if i >= len(fields) {
			return TestResult{}, fmt.Errorf("test %q: no %s column", name, c.name)
		}
		v, err := parseRedisNumber(fields[i])
		if err != nil {
			return TestResult{}, fmt.Errorf("test %q: %s: %w", name, c.name, err)
		}
		c.set(&lat, v)
		found++
	}
	if found == len(redisLatencyColumns()) {
		t.Latency = &lat
	}
	return t, nil
}

func parseRedisNumber(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("not a number: %q", s)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, fmt.Errorf("out of range: %q", s)
	}
	return v, nil
}

// aggregateRedis sums up the tests of one redis-benchmark run, each of
// which made requests requests:
//
//   - Throughput is the aggregate requests/s: sum(n) / sum(n/rps_i), the
//     total number of requests over the time the tests took by their own
//     account (the harmonic mean of the rps, weighted by requests);
//   - Ops is sum(n);
//   - Latency, when every test reports latencies, is the request-weighted
//     mean of the per-test figures for avg, p50, p95 and p99, and the
//     smallest min and largest max over the tests. avg, min and max are
//     exact over all requests; the percentiles are not percentiles of all
//     requests, as percentiles do not combine, but the mean of the tests'
//     percentiles (a plain mean, as every test makes the same number of
//     requests): an index that moves when the tests' percentiles move.
//     Reports and the gate use these as a run's p50 and p99.
func aggregateRedis(tests []TestResult, requests int) (Result, error) {
	if len(tests) == 0 {
		return Result{}, errors.New("no tests")
	}
	if requests <= 0 {
		return Result{}, fmt.Errorf("requests per test is %d, must be positive", requests)
	}
	n := float64(requests)
	var seconds, ops float64
	withLat := 0
	var sum Latency
	minMs, maxMs := math.Inf(1), math.Inf(-1)
	for _, t := range tests {
		if t.Throughput <= 0 {
			return Result{}, fmt.Errorf("test %q reported %v requests/s", t.Name, t.Throughput)
		}
		seconds += n / t.Throughput
		ops += n
		if l := t.Latency; l != nil {
			withLat++
			sum.AvgMs += n * l.AvgMs
			sum.P50Ms += n * l.P50Ms
			sum.P95Ms += n * l.P95Ms
			sum.P99Ms += n * l.P99Ms
			minMs = math.Min(minMs, l.MinMs)
			maxMs = math.Max(maxMs, l.MaxMs)
		}
	}
	res := Result{
		Throughput: ops / seconds,
		Unit:       "requests/s",
		Ops:        ops,
		Tests:      tests,
	}
	if withLat == len(tests) {
		res.Latency = &Latency{
			AvgMs: sum.AvgMs / ops,
			MinMs: minMs,
			P50Ms: sum.P50Ms / ops,
			P95Ms: sum.P95Ms / ops,
			P99Ms: sum.P99Ms / ops,
			MaxMs: maxMs,
		}
	}
	return res, nil
}

package workloads

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

const redis7Header = `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"`

func TestParseRedisCSV(t *testing.T) {
	lat := func(avg, min, p50, p95, p99, max float64) *Latency {
		return &Latency{AvgMs: avg, MinMs: min, P50Ms: p50, P95Ms: p95, P99Ms: p99, MaxMs: max}
	}
	tests := []struct {
		name    string
		in      string
		want    []TestResult
		wantErr string
	}{
		{
			name: "redis 7",
			in: redis7Header + "\n" +
				`"PING_INLINE","60606.06","0.470","0.088","0.407","0.799","1.055","1.559"` + "\n" +
				`"SET","68965.52","0.378","0.128","0.383","0.455","0.535","0.647"` + "\n",
			want: []TestResult{
				{Name: "PING_INLINE", Throughput: 60606.06, Latency: lat(0.470, 0.088, 0.407, 0.799, 1.055, 1.559)},
				{Name: "SET", Throughput: 68965.52, Latency: lat(0.378, 0.128, 0.383, 0.455, 0.535, 0.647)},
			},
		},
		{
			name: "old format without header",
			in:   `"PING_INLINE","74074.07"` + "\n" + `"GET","80000.00"` + "\n",
			want: []TestResult{{Name: "PING_INLINE", Throughput: 74074.07}, {Name: "GET", Throughput: 80000}},
		},
		{
			name: "headerless eight columns read in redis 7 order",
			in:   `"GET","100000.00","0.278","0.088","0.271","0.359","0.447","0.567"`,
			want: []TestResult{{Name: "GET", Throughput: 100000, Latency: lat(0.278, 0.088, 0.271, 0.359, 0.447, 0.567)}},
		},
		{
			// A header starts with "test"; anything else is a data row.
			name:    "header not starting with test is a row",
			in:      `"rps","test"` + "\n" + `"10.5","INCR"`,
			wantErr: `line 1: test "rps": rps: not a number: "test"`,
		},
		{
			name: "test names with spaces and parentheses, CRLF, blank and noise lines, repeated header",
			in: "WARNING: could not fetch server CONFIG\r\n\r\n" + redis7Header + "\r\n" +
				`"LPUSH (needed to benchmark LRANGE)","50000.00","1","0.5","1","2","3","4"` + "\r\n" +
				redis7Header + "\r\n" +
				`"MSET (10 keys)","25000.00","2","1","2","3","4","5"` + "\r\n   \r\n",
			want: []TestResult{
				{Name: "LPUSH (needed to benchmark LRANGE)", Throughput: 50000, Latency: lat(1, 0.5, 1, 2, 3, 4)},
				{Name: "MSET (10 keys)", Throughput: 25000, Latency: lat(2, 1, 2, 3, 4, 5)},
			},
		},
		{
			name: "header only: no tests",
			in:   redis7Header + "\n",
			want: nil,
		},
		{name: "empty", in: "", want: nil},
		{
			name:    "unterminated quote",
			in:      redis7Header + "\n" + `"SET,"1000","1","1","1","1","1","1"`,
			wantErr: "line 2: reading CSV",
		},
		{
			name:    "rps not a number",
			in:      `"SET","fast"`,
			wantErr: `line 1: test "SET": rps: not a number: "fast"`,
		},
		{
			name:    "negative rps",
			in:      `"SET","-5"`,
			wantErr: `rps: out of range`,
		},
		{
			name:    "NaN rps",
			in:      `"SET","NaN"`,
			wantErr: `rps: out of range`,
		},
		{
			name:    "missing rps column",
			in:      `"SET"`,
			wantErr: `line 1: test "SET": no rps column`,
		},
		{
			name:    "row shorter than the header",
			in:      redis7Header + "\n" + `"SET","1000","0.3"`,
			wantErr: `line 2: test "SET": no min_latency_ms column`,
		},
		{
			name:    "latency not a number",
			in:      redis7Header + "\n" + `"SET","1000","0.3","x","1","1","1","1"`,
			wantErr: `test "SET": min_latency_ms: not a number`,
		},
		{
			name:    "empty test name",
			in:      `"","1000"`,
			wantErr: "line 1: empty test name",
		},
		{
			name:    "header without rps",
			in:      `"test","requests_per_second"`,
			wantErr: "line 1: header has no rps column",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseRedisCSV([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseRedisCSVReorderedColumns(t *testing.T) {
	in := `"test","max_latency_ms","min_latency_ms","avg_latency_ms","p99_latency_ms","p95_latency_ms","p50_latency_ms","rps"` + "\n" +
		`"INCR","6","1","2","5","4","3","10.5"`
	got, err := parseRedisCSV([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []TestResult{{Name: "INCR", Throughput: 10.5,
		Latency: &Latency{AvgMs: 2, MinMs: 1, P50Ms: 3, P95Ms: 4, P99Ms: 5, MaxMs: 6}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestAggregateRedis(t *testing.T) {
	tests := []TestResult{
		{Name: "A", Throughput: 100, Latency: &Latency{AvgMs: 1, MinMs: 0.5, P50Ms: 1, P95Ms: 2, P99Ms: 3, MaxMs: 4}},
		{Name: "B", Throughput: 300, Latency: &Latency{AvgMs: 3, MinMs: 0.2, P50Ms: 2, P95Ms: 4, P99Ms: 6, MaxMs: 9}},
	}
	res, err := aggregateRedis(tests, 300)
	if err != nil {
		t.Fatal(err)
	}
	// 600 requests in 300/100 + 300/300 = 4 s.
	if res.Throughput != 150 || res.Ops != 600 || res.Unit != "requests/s" {
		t.Errorf("throughput %v ops %v unit %q, want 150 600 requests/s", res.Throughput, res.Ops, res.Unit)
	}
	want := Latency{AvgMs: 2, MinMs: 0.2, P50Ms: 1.5, P95Ms: 3, P99Ms: 4.5, MaxMs: 9}
	if res.Latency == nil || !latencyClose(*res.Latency, want) {
		t.Errorf("latency %+v, want %+v", res.Latency, want)
	}
	if len(res.Tests) != 2 {
		t.Errorf("tests %+v", res.Tests)
	}

	// Without latencies on every test there is no aggregate latency.
	res, err = aggregateRedis([]TestResult{tests[0], {Name: "OLD", Throughput: 100}}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if res.Latency != nil || res.Throughput != 100 {
		t.Errorf("latency %+v throughput %v, want nil and 100", res.Latency, res.Throughput)
	}

	for _, bad := range []struct {
		tests    []TestResult
		requests int
	}{
		{nil, 10},
		{[]TestResult{{Name: "Z", Throughput: 0}}, 10},
		{tests, 0},
	} {
		if _, err := aggregateRedis(bad.tests, bad.requests); err == nil {
			t.Errorf("aggregateRedis(%+v, %d) gave no error", bad.tests, bad.requests)
		}
	}
}

func latencyClose(a, b Latency) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	for i := 0; i < va.NumField(); i++ {
		if math.Abs(va.Field(i).Float()-vb.Field(i).Float()) > 1e-9 {
			return false
		}
	}
	return true
}

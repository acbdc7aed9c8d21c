package scenario

import (
	"strings"
	"syscall"
	"testing"
)

// TestStopSignals: any signal name is a stop signal, with or without
// SIG and in any case; an unknown one is an error.
func TestStopSignals(t *testing.T) {
	scenario := func(sig string) string {
		return "workload: {type: syscalls, mix: getpid, count: 10}\nsets: {a: [getpid]}\n" +
			"tracers:\n  t:\n    argv: [/bin/sh]\n    sets: {a: []}\n    stop: {signal: " + sig + "}\n"
	}
	for _, c := range []struct {
		sig, name string
		want      syscall.Signal
	}{{"SIGTERM", "SIGTERM", syscall.SIGTERM}, {"int", "SIGINT", syscall.SIGINT}, {"usr2", "SIGUSR2", syscall.SIGUSR2}, {"SIGABRT", "SIGABRT", syscall.SIGABRT}} {
		sc, err := ParseBytes("s.yaml", []byte(scenario(c.sig)))
		if err != nil {
			t.Errorf("%s: %v", c.sig, err)
		} else if tr := sc.Tracers[0]; tr.StopSignal != c.want || tr.StopSignalName() != c.name {
			t.Errorf("%s: signal %d named %s, want %d %s", c.sig, tr.StopSignal, tr.StopSignalName(), c.want, c.name)
		}
	}
	_, err := ParseBytes("s.yaml", []byte(scenario("SIGTREM")))
	if err == nil || !strings.HasPrefix(err.Error(), `s.yaml:7: tracer t: unknown stop signal "SIGTREM" (hint: did you mean SIGTERM`) {
		t.Errorf("unknown signal: %v", err)
	}
}

// TestRefusedPattern: a tracer's refused key is a regex with a group
// naming the program; an invalid one, or one without a group, is an
// error at its line; without the key RefusedRegexp is nil (the default).
func TestRefusedPattern(t *testing.T) {
	scenario := func(refused string) string {
		s := "workload: {type: syscalls, mix: getpid, count: 10}\nsets: {a: [getpid]}\n" +
			"tracers:\n  t:\n    argv: [/bin/sh]\n    sets: {a: []}\n"
		if refused != "" {
			s += "    refused: '" + refused + "'\n"
		}
		return s
	}
	sc, err := ParseBytes("s.yaml", []byte(scenario(`^cannot load (?P<program>\w+):`)))
	if err != nil {
		t.Fatal(err)
	}
	re := sc.Tracers[0].RefusedRegexp()
	if re == nil || re.FindStringSubmatch("cannot load my_prog: no")[re.SubexpIndex("program")] != "my_prog" {
		t.Errorf("refused pattern %v does not name my_prog", re)
	}
	if sc, err := ParseBytes("s.yaml", []byte(scenario(""))); err != nil || sc.Tracers[0].RefusedRegexp() != nil {
		t.Errorf("without the key: %v, %v; want no pattern", err, err)
	}
	for _, c := range []struct{ re, want string }{
		{`prog (\w+`, `s.yaml:7: tracer t refused: error parsing regexp`},
		{`refused`, `s.yaml:7: tracer t refused: "refused" names no program`},
	} {
		if _, err := ParseBytes("s.yaml", []byte(scenario(c.re))); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: error %v, want it to start %q", c.re, err, c.want)
		}
	}
}

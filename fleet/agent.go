package fleet

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// AgentOptions say what `benchctl fleet agent` runs in a pod.
type AgentOptions struct {
	// Exe is the benchctl to run; RunArgs its arguments after "run"
	// (the scenario and the run flags). The agent adds -o Results.
	Exe     string
	RunArgs []string
	Results string
	// Interval is how often the results file is looked at for a new
	// checkpoint (default 5 s).
	Interval time.Duration
	// Out is the pod's log (standard output).
	Out io.Writer
}

// Agent runs `benchctl run` and prints its results file into Out each
// time the run checkpoints it, and once more after it exits (final),
// then its exit code; it returns that code. benchctl run's own output
// goes to Out too, a line at a time, never inside a results block.
// Cancelling ctx (the pod is being deleted: SIGTERM) sends SIGTERM to
// benchctl run, which stops, detaches its probes and writes what it has,
// and the agent prints that as the final block.
func Agent(ctx context.Context, o AgentOptions) (int, error) {
	if o.Interval <= 0 {
		o.Interval = 5 * time.Second
	}
	var mu sync.Mutex
	say := func(f func(w io.Writer) error) error {
		mu.Lock()
		defer mu.Unlock()
		return f(o.Out)
	}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		say(func(w io.Writer) error {
			_, err := fmt.Fprintf(w, "%sUNAME %s\n", linePrefix, unix.ByteSliceToString(u.Release[:]))
			return err
		})
	}
	os.Remove(o.Results) // a file of an earlier container of this pod is not this run's
	argv := append(append([]string{"run"}, o.RunArgs...), "-o", o.Results)
	cmd := exec.Command(o.Exe, argv...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("starting benchctl run: %w", err)
	}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			say(func(w io.Writer) error { _, err := fmt.Fprintln(w, line); return err })
		}
		io.Copy(io.Discard, pr)
	}()
	waited := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		pw.Close()
		waited <- err
	}()

	seq := 0
	var last [32]byte
	emit := func(final bool) {
		data, err := os.ReadFile(o.Results)
		if err != nil {
			return // nothing measured yet
		}
		sum := sha256.Sum256(data)
		if sum == last && !final {
			return
		}
		last = sum
		seq++
		if err := say(func(w io.Writer) error { return writeBlock(w, seq, data, final) }); err != nil {
			fmt.Fprintf(os.Stderr, "benchctl fleet agent: printing results: %v\n", err)
		}
	}
	tick := time.NewTicker(o.Interval)
	defer tick.Stop()
	done := ctx.Done()
	var werr error
loop:
	for {
		select {
		case werr = <-waited:
			break loop
		case <-tick.C:
			emit(false)
		case <-done:
			done = nil // once
			cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	<-copied
	emit(true)
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(werr, &ee):
		code = ee.ExitCode()
		if code < 0 { // killed by a signal
			code = 128 + int(ee.Sys().(syscall.WaitStatus).Signal())
		}
	case werr != nil:
		return 0, werr
	}
	say(func(w io.Writer) error { _, err := fmt.Fprintf(w, "%sEXIT %d\n", linePrefix, code); return err })
	return code, nil
}

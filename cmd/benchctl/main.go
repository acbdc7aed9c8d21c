// Command benchctl measures what syscall tracing with eBPF costs.
package main

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
)

// exitError carries the process exit code of a failed command:
// 1 a gated regression (or a failed run: the traced command's, a variant
// of run's that measured nothing), 2 bad usage or input, 3 the
// environment cannot run it, 4 a gate that could not decide (compare).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError is bad usage or bad input: exit 2.
func usageError(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

// envError is an environment that cannot run the command: exit 3.
func envError(err error) error { return &exitError{code: 3, err: err} }

// command is one subcommand; run gets the arguments after its name.
type command struct {
	summary string
	run     func(args []string) error
}

// commands is filled by each subcommand's file in its init function.
var commands = map[string]command{}

func main() {
	err := run(os.Args[1:])
	if err == nil {
		return
	}
	code := 1
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if ee == nil || ee.err != errSilent {
		fmt.Fprintf(os.Stderr, "benchctl: %v\n", err)
	}
	os.Exit(code)
}

// errSilent marks an exit code whose reason has already been printed.
var errSilent = errors.New("")

func run(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(os.Stdout)
		return nil
	}
	if args[0] == "version" || args[0] == "--version" {
		fmt.Println("benchctl", version())
		return nil
	}
	cmd, ok := commands[args[0]]
	if !ok {
		usage(os.Stderr)
		return usageError("unknown command %q", args[0])
	}
	return cmd.run(args[1:])
}

func usage(w *os.File) {
	fmt.Fprintln(w, "benchctl measures what syscall tracing with eBPF costs.")
	fmt.Fprintln(w, "\nUsage: benchctl COMMAND [flags] [args]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'benchctl COMMAND -h' for a command's flags.")
	fmt.Fprintln(w, "Exit codes: 0 ok; 1 a gated regression or a failed run; 2 bad usage or input; 3 the environment cannot run it; 4 the gate could not decide.")
}

// splitList splits "a,b, c" into its non-empty trimmed parts.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

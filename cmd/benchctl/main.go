// Command benchctl measures what syscall tracing with eBPF costs.
package main

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
)

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
	if !errors.Is(err, errSilent) {
		fmt.Fprintf(os.Stderr, "benchctl: %v\n", err)
	}
	os.Exit(statusOf(err))
}

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

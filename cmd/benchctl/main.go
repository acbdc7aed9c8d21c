// Command benchctl measures what syscall tracing with eBPF costs.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

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

// run runs the command line args (without the program's name).
func run(args []string) error {
	root := newRootCmd()
	args, err := prepare(root, args)
	if err != nil {
		return err
	}
	root.SetArgs(args)
	_, err = root.ExecuteC()
	return err
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

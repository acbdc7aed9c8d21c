package main

import "github.com/spf13/cobra"

// The tests' way into one command: its arguments after its name, run
// as the command line "benchctl NAME ARGS...".

func runCmd(args []string) error      { return run(append([]string{"run"}, args...)) }
func validateCmd(args []string) error { return run(append([]string{"validate"}, args...)) }
func cmdTrace(args []string) error    { return run(append([]string{"trace"}, args...)) }
func cmdVerify(args []string) error   { return run(append([]string{"verify"}, args...)) }
func vmCmd(args []string) error       { return run(append([]string{"vm"}, args...)) }

// parseCommandLine parses args as benchctl does, without running the
// command: it returns the command found, its flags set, and its
// arguments.
func parseCommandLine(args []string) (*cobra.Command, []string, error) {
	root := newRootCmd()
	args, err := prepare(root, args)
	if err != nil {
		return nil, nil, err
	}
	cmd, rest, err := root.Find(args)
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.ParseFlags(rest); err != nil {
		return nil, nil, err
	}
	return cmd, cmd.Flags().Args(), nil
}

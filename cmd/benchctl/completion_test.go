package main

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestCompletionBash: the script of `benchctl completion bash` registers
// a completion for benchctl in bash, and zsh's and fish's scripts are
// made too.
func TestCompletionBash(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	script := `source <("$BENCHCTL" completion bash) && complete -p benchctl`
	cmd := exec.Command("bash", "-c", script)
	cmd.Env = append(os.Environ(), "BENCHCTL_RUN_MAIN=1", "BENCHCTL="+exe)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "__start_benchctl benchctl") {
		t.Errorf("bash: %v\n%s", err, out)
	}
	for _, shell := range []string{"zsh", "fish"} {
		out, err := benchctl("completion", shell).Output()
		if err != nil || !strings.Contains(string(out), "benchctl") || len(out) < 1000 {
			t.Errorf("completion %s: %v, %d bytes", shell, err, len(out))
		}
	}
	if err := benchctl("completion", "tcsh").Run(); exitStatus(err) != 2 {
		t.Errorf("completion tcsh: exit %d, want 2", exitStatus(err))
	}
}

// TestCompletionCandidates: what the completion script is given for a
// command, a flag and a flag's value.
func TestCompletionCandidates(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{""}, []string{"compare", "run", "history", "completion"}},
		{[]string{"history", ""}, []string{"import", "show", "check"}},
		{[]string{"run", "--"}, []string{"--only", "--output", "--repetitions", "--noise-steal"}},
		{[]string{"report", "x.json", "--format", ""}, []string{"markdown", "html", "csv"}},
		{[]string{"compare", "--inconclusive", ""}, []string{"fail", "pass"}},
		{[]string{"trace", "--mode", ""}, []string{"floor", "enter_exit", "exit_only"}},
		{[]string{"history", "show", "--metric", ""}, []string{"ns_per_syscall", "overhead"}},
	} {
		out, err := benchctl(append([]string{cobra.ShellCompNoDescRequestCmd}, tc.args...)...).Output()
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		got := strings.Split(string(out), "\n")
		for _, w := range tc.want {
			if !slices.Contains(got, w) {
				t.Errorf("%q: no %q among\n%s", tc.args, w, out)
			}
		}
	}
}

// TestFlagValuesNameFlags: every flag flagValues completes is a flag of
// its command.
func TestFlagValuesNameFlags(t *testing.T) {
	root := newRootCmd()
	for path, flags := range flagValues() {
		c, _, err := root.Find(strings.Fields(path)[1:])
		if err != nil || c.CommandPath() != path {
			t.Errorf("%s: no such command", path)
			continue
		}
		for name := range flags {
			if c.Flags().Lookup(name) == nil {
				t.Errorf("%s has no flag --%s", path, name)
			}
		}
	}
}

// TestHelpListsFlags: every command's -h exits 0 and lists each of its
// flags.
func TestHelpListsFlags(t *testing.T) {
	var cmds []*cobra.Command
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		cmds = append(cmds, c)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	root := newRootCmd()
	if _, err := prepare(root, []string{}); err != nil {
		t.Fatal(err)
	}
	walk(root)
	if len(cmds) < 15 {
		t.Fatalf("%d commands in the tree", len(cmds))
	}
	for _, c := range cmds {
		path := strings.Fields(c.CommandPath())[1:]
		if c.Name() == "help" || c.Name() == cobra.ShellCompRequestCmd || c.Name() == cobra.ShellCompNoDescRequestCmd {
			continue
		}
		out, err := benchctl(append(path, "-h")...).Output()
		if err != nil {
			t.Errorf("%s -h: %v", c.CommandPath(), err)
			continue
		}
		help := string(out)
		c.InitDefaultHelpFlag()
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden && !strings.Contains(help, "--"+f.Name+" ") && !strings.HasSuffix(strings.TrimSpace(help), "--"+f.Name) && !strings.Contains(help, "--"+f.Name+"\n") {
				t.Errorf("%s -h does not list --%s:\n%s", c.CommandPath(), f.Name, help)
			}
		})
		if c.HasAvailableLocalFlags() && !strings.Contains(help, "\nFlags:\n") {
			t.Errorf("%s -h has no Flags section:\n%s", c.CommandPath(), help)
		}
	}
}

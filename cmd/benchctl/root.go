package main

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// newRootCmd builds benchctl's command tree: the table of its commands.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "benchctl",
		Short: "benchctl measures what syscall tracing with eBPF costs",
		Long:  "benchctl measures what syscall tracing with eBPF costs.\n\nUsage: benchctl COMMAND [flags] [args]",
		Annotations: map[string]string{footer: "Run 'benchctl COMMAND -h' for a command's flags.\n" +
			"Exit codes: 0 ok; 1 a gated regression or a failed run; 2 bad usage or input; 3 the environment cannot run it; 4 the gate could not decide."},
		Version:       version(),
		SilenceErrors: true, // main prints them, and exits with their code
		SilenceUsage:  true,
	}
	root.SetVersionTemplate("benchctl {{.Version}}\n")
	root.SetHelpTemplate(helpTemplate)
	root.SetUsageTemplate(helpTemplate)
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(
		newCompareCmd(),
		newDoctorCmd(),
		newFleetCmd(),
		newHistoryCmd(),
		newMatrixCmd(),
		newReportCmd(),
		newRunCmd(),
		newTraceCmd(),
		newValidateCmd(),
		newVerifyCmd(),
		newVersionCmd(),
		newVMCmd(),
	)
	root.SetGlobalNormalizationFunc(oneLetterNames)
	completeFlagValues(root)
	return root
}

// footer is the annotation of a command whose help ends with a note.
const footer = "footer"

// helpTemplate is every command's help, and its usage after bad usage:
// the command's own text (its usage lines and what it does), its
// subcommands, its flags.
const helpTemplate = `{{.Long | trimTrailingWhitespaces}}
{{- if .HasAvailableSubCommands}}

Commands:{{range .Commands}}{{if .IsAvailableCommand}}
  {{rpad .Name .NamePadding}} {{.Short}}{{end}}{{end}}{{end}}
{{- if .HasAvailableLocalFlags}}

Flags:
{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}
{{- with index .Annotations "footer"}}

{{.}}{{end}}
`

// flagError makes a flag the command does not know, or a bad flag
// value, bad usage (exit 2).
func flagError(c *cobra.Command, err error) error {
	return usageError("%s: %v (benchctl %s -h lists its flags)", c.Name(), err, strings.TrimPrefix(c.CommandPath(), "benchctl "))
}

// oneLetterNames keeps --o and --q working, as Go's flag package, which
// benchctl's command line was first built on, accepted them: they are
// -o, --output and -q, --quiet.
func oneLetterNames(_ *pflag.FlagSet, name string) pflag.NormalizedName {
	switch name {
	case "o":
		return "output"
	case "q":
		return "quiet"
	}
	return pflag.NormalizedName(name)
}

// passesArgsOn marks a command whose flags end at its first argument,
// which, with everything after it, is a command line of its own (trace,
// verify, vm): "benchctl trace --mode exit_only cat -n FILE" gives -n to
// cat.
func passesArgsOn(c *cobra.Command) *cobra.Command {
	c.Flags().SetInterspersed(false)
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations[passesOn] = "yes"
	return c
}

const passesOn = "passes-args-on"

// prepare readies root for the command line args and returns the
// arguments to execute: cobra's help and completion commands added, the
// arguments cobra's own commands refuse made bad usage, an unknown
// command refused (exit 2, after the usage), and the long flags args
// spells with one dash rewritten with two (singleDash).
func prepare(root *cobra.Command, args []string) ([]string, error) {
	if args == nil {
		args = []string{} // nil would make cobra read os.Args
	}
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd(args...)
	for _, c := range root.Commands() {
		if !c.Runnable() && c.HasSubCommands() {
			c.RunE = needsSubcommand // cobra's completion
		}
		if c.Name() == "completion" {
			c.Short = "write the shell completion script of bash, zsh, fish or powershell (e.g. source <(benchctl completion bash))"
		}
	}
	badArgsAreUsage(root)
	if len(args) > 0 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd) {
		return args, nil
	}
	c, rest, err := root.Find(args)
	if err != nil {
		root.Usage()
		return nil, usageError("%v", strings.TrimSpace(err.Error()))
	}
	words := len(args) - len(rest)
	if words < 0 || !slices.Equal(args[:words], strings.Fields(c.CommandPath())[1:]) {
		return args, nil
	}
	return append(slices.Clone(args[:words]), singleDash(c, rest)...), nil
}

// needsSubcommand is the RunE of a command that groups others (history,
// completion): its help without arguments, else bad usage.
func needsSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	cmd.Usage()
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return usageError("unknown %s subcommand %q (%s)", cmd.Name(), args[0], strings.Join(names, ", "))
}

// badArgsAreUsage makes the arguments that a command's Args check
// refuses (cobra's completion commands have them) bad usage, exit 2.
func badArgsAreUsage(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return usageError("%v", err)
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		badArgsAreUsage(sub)
	}
}

// singleDash rewrites the long flags of c that args spells with one dash
// ("-only x", "-format=json") with two: Go's flag package, which
// benchctl's command line was first built on, accepted both, and pflag
// would read "-only" as -o with the value "nly". Flag values stay as
// they are, as does everything after "--" and, for a command that passes
// its arguments on, after its first argument.
func singleDash(c *cobra.Command, args []string) []string {
	c.InitDefaultHelpFlag()
	c.InitDefaultVersionFlag()
	fs := c.Flags()
	out := slices.Clone(args)
	for i := 0; i < len(out); i++ {
		a := out[i]
		switch {
		case a == "--":
			return out
		case len(a) < 2 || a[0] != '-':
			if c.Annotations[passesOn] != "" {
				return out
			}
		case strings.HasPrefix(a, "--") || fs.Lookup(flagName(a)) != nil && len(flagName(a)) > 1:
			if a[1] != '-' {
				out[i] = "-" + a
			}
			if f := fs.Lookup(flagName(a)); f != nil && f.NoOptDefVal == "" && !strings.Contains(a, "=") {
				i++ // its value
			}
		default: // one-letter flags, -o FILE or -qo FILE
			for j := 1; j < len(a); j++ {
				if f := fs.ShorthandLookup(a[j : j+1]); f != nil && f.NoOptDefVal == "" {
					if j == len(a)-1 {
						i++ // its value
					}
					break
				}
			}
		}
	}
	return out
}

// flagName is the name in a flag argument: "format" in "--format=json".
func flagName(a string) string {
	name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
	return name
}

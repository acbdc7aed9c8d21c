package workloads

import "strings"

// shellBuiltins are words a script may start with that name no program.
var shellBuiltins = map[string]bool{
	"exec": true, "cd": true, "export": true, "set": true, "trap": true, "eval": true, "if": true,
	"for": true, "while": true, "until": true, "case": true, "{": true, "(": true, "!": true,
	".": true, ":": true, "true": true, "false": true, "echo": true, "printf": true, "read": true,
	"wait": true, "kill": true, "ulimit": true, "umask": true, "unset": true, "shift": true,
	"test": true, "[": true, "command": true, "local": true, "readonly": true,
}

// ShellProgram returns the program a shell script runs first, when the
// script's first word names one plainly: no quoting, expansion,
// assignment or operator in it, and not a shell builtin or keyword (for
// "exec PROG", PROG). ok is false when it cannot tell: the script's
// program is then not known before it runs.
func ShellProgram(script string) (prog string, ok bool) {
	words := strings.Fields(script)
	if len(words) > 1 && words[0] == "exec" && !strings.HasPrefix(words[1], "-") {
		words = words[1:]
	}
	if len(words) == 0 {
		return "", false
	}
	w := words[0]
	if shellBuiltins[w] || strings.ContainsAny(w, "$`'\"\\;|&<>(){}*?[]=~#") {
		return "", false
	}
	return w, true
}

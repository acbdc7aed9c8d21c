package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Version is set at build time with -ldflags "-X main.Version=...".
var Version = "dev"

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print benchctl's version",
		Long:  "Usage: benchctl version\n\nPrints benchctl's version (and the VCS revision it was built from, when known); so does benchctl --version.",
		Run:   func(*cobra.Command, []string) { fmt.Println("benchctl", version()) },
	}
}

func version() string {
	v := Version
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
	}
	return v
}

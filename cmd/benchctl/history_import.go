package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/history"
)

func newHistoryImportCmd() *cobra.Command {
	var db string
	cmd := &cobra.Command{
		Use:   "import FILE|DIR...",
		Short: "record results files in the history store, each once",
		Long:  "Usage: benchctl history import [--db URL] FILE|DIR...\n\nRecords results files, and the results files in folders, in the history store, each once (keyed by its content's SHA-256).",
		RunE:  func(cmd *cobra.Command, args []string) error { return historyImport(db, args) },
	}
	cmd.Flags().StringVar(&db, "db", historyDB(), historyDBHelp)
	return cmd
}

func historyImport(db string, pos []string) error {
	if len(pos) == 0 {
		return usageError("history import takes results files or folders of them")
	}
	s, err := openHistory(db)
	if err != nil {
		return err
	}
	defer s.Close()
	st, err := history.Import(context.Background(), s, pos, func(err error) { fmt.Fprintf(os.Stderr, "benchctl: %v\n", err) })
	fmt.Printf("%d results files read: %d recorded, %d already there, %d failed\n", st.Read, st.Added, st.Known, st.Failed)
	if err != nil {
		return err
	}
	if st.Failed > 0 {
		return usageError("%d of the files could not be imported", st.Failed)
	}
	return nil
}

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/benchctl/benchctl/bench"
	"github.com/benchctl/benchctl/bench/results"
	"github.com/benchctl/benchctl/internal/atomicfile"
)

// What run and report may write, checked before they start: nothing
// that is not theirs to replace (issue 29). The writing itself is
// atomicfile.Write's.

// savedNote says what a run that failed or was interrupted left at path,
// as read back from the file: what is there even when the last write
// failed.
func savedNote(runner *bench.Runner, path string) string {
	if !runner.Saved() {
		if _, err := os.Lstat(path); err == nil {
			return fmt.Sprintf("no results written: the run ended before its first run did; %s is as it was", path)
		}
		return fmt.Sprintf("no results written to %s: the run ended before its first run did", path)
	}
	back, err := results.ReadResults(path)
	if err != nil {
		return fmt.Sprintf("the results in %s cannot be read back: %v", path, err)
	}
	return fmt.Sprintf("incomplete results (%s) written to %s", doneCount(back), path)
}

// reportPaths are where run writes the markdown report of the results
// file resultsPath (same name, .md) and its charts (same name, -charts).
func reportPaths(resultsPath string) (md, charts string) {
	base := strings.TrimSuffix(resultsPath, filepath.Ext(resultsPath))
	return base + ".md", base + "-charts"
}

// checkRunOutput refuses, before anything runs, a results path (and the
// report and charts beside it) that run must not write: one that is the
// scenario file or the report; one that exists and is not a regular file
// (a device node such as /dev/null, a symlink, a fifo: writing would
// replace it); one that exists, unless force; exit 2 for each. It makes
// the results folder, and fails with exit 3 when no file can be made in
// it.
func checkRunOutput(path, scenarioPath string, force bool) error {
	md, charts := reportPaths(path)
	if filepath.Clean(md) == filepath.Clean(path) {
		return usageError("-o %s: run writes its markdown report beside the results file, with the same name and .md, which would replace the results; name the results file .json", path)
	}
	for _, out := range []string{path, md} {
		if sameFile(out, scenarioPath) {
			return usageError("-o %s: %s is the scenario file run reads", path, out)
		}
	}
	for _, out := range []struct{ path, what string }{{path, "the results file"}, {md, "the report run writes beside it"}} {
		exists, err := atomicfile.Check(out.path)
		if err != nil {
			return usageError("-o %s: refusing to write %s: %v", path, out.what, err)
		}
		if exists && !force {
			return usageError("-o %s: %s %s exists; refusing to replace it (--force replaces it)", path, out.what, out.path)
		}
	}
	if fi, err := os.Lstat(charts); err == nil {
		if !fi.IsDir() {
			return usageError("-o %s: the charts folder run writes beside it, %s, exists and is not a folder", path, charts)
		}
		if !force {
			return usageError("-o %s: the charts folder run writes beside it, %s, exists; refusing to replace its charts (--force replaces them)", path, charts)
		}
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return envError(fmt.Errorf("creating results folder: %w", err))
	}
	if err := atomicfile.CheckDir(dir); err != nil {
		return envError(fmt.Errorf("cannot write results in %s: %w", dir, err))
	}
	return nil
}

// sameFile says whether paths a and b name the same file.
func sameFile(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(fa, fb)
	}
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	return errA == nil && errB == nil && absA == absB
}

// checkReportOutput refuses (exit 2), before anything is read or
// written, a report path out that is one of the results files it reads,
// or exists and is not a regular file (a device node, a symlink, a fifo:
// writing would replace it; "-" or no -o is standard output).
func checkReportOutput(out string, inputs []string) error {
	if out == "" || out == "-" {
		return nil
	}
	for _, in := range inputs {
		if sameFile(out, in) {
			return usageError("-o %s: it is the results file %s the report reads", out, in)
		}
	}
	if _, err := atomicfile.Check(out); err != nil {
		return usageError("-o %s: refusing to write the report: %v (without -o the report goes to standard output)", out, err)
	}
	return nil
}

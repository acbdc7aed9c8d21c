// Package layering holds the tests of the import rules of
// docs/architecture.md: which of benchctl's packages may import which;
// that the packages which read results files, the syscall table and the
// scenario parser link no BPF library; that probes and workloads depend
// only on record, internal/ and their own packages, and link no
// statistics; and that record imports the standard library only.
package layering

// Package layering holds a test of the import rules of docs/architecture.md:
// which of benchctl's packages may import which, and that the packages
// which read results files, and the syscall table, link no BPF library.
package layering

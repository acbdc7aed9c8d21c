// Package syscalls is what benchctl's probes send about syscalls, without
// the probes: the syscall table of each architecture (names and numbers
// generated from golang.org/x/sys into syscalls_table.go, `make
// generate`) with the parameters of every syscall's enter, exit and
// merged exit events; the wire format of those events (header, event
// types, parameter types); and the decoder of the records the BPF
// fillers write (probes/bpf/probes.bpf.c).
//
// It loads nothing and links no BPF library: scenarios validate syscall
// names with it, and the decoder is tested on records built by hand.
// Package probes, which loads the programs and reads their rings,
// decodes with it.
package syscalls

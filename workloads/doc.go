// Package workloads generates the syscalls that benchctl measures the
// tracing cost of.
//
// Three workloads implement [Workload]:
//
//   - redis ([NewRedis]) starts a private redis-server, on a unix socket
//     in a 0700 directory or (RedisTCP) on 127.0.0.1 with a password, and
//     drives it with redis-benchmark, the workload of the enter-events
//     proposal;
//   - syscalls ([NewSyscalls]) is a built-in generator written in Go that
//     issues a chosen mix of syscalls from locked OS threads and needs no
//     other program;
//   - command ([NewCommand]) runs any program and times it.
//
// A workload is used as: construct (validates the configuration and finds
// the programs it needs), Prepare (slow set-up that is not measured), Run
// (the measured part, any number of times), Close (undoes Prepare; safe to
// call more than once and after a failed Prepare).
//
// Every child process is started in its own process group with a parent
// death signal (SIGKILL), so no child outlives benchctl, even when
// benchctl itself is killed with SIGKILL; cancelling a Run's context and
// calling Close kill the whole process group. A workload's processes
// (redis-server and redis-benchmark, a command) also run in a cgroup v2
// of their own ([Cgroup]), whose CPU time is the workload's and which
// Close removes with whatever is left in it; the built-in generator's CPU
// time is its threads'. Result.CPUSeconds and CPUMethod say which.
//
// It knows nothing of scenarios, probes, the results file or reports: the
// records it fills (Result, Latency, TracerExit) are package record's, and
// besides record it imports only internal/ (cgroups, shell quoting).
package workloads

package workloads

import "golang.org/x/sys/unix"

type fidelityNrs struct{ open, creat, epollWait, accept, gettimeofday int }

// fidelityNumbers: the syscalls x86-64 has and arm64 lacks.
func fidelityNumbers() (fidelityNrs, bool) {
	return fidelityNrs{unix.SYS_OPEN, unix.SYS_CREAT, unix.SYS_EPOLL_WAIT, unix.SYS_ACCEPT, unix.SYS_GETTIMEOFDAY}, true
}

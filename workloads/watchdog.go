package workloads

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// watchdogScript waits until its stdin ends, which happens when benchctl
// exits, however it exits (SIGKILL included: the kernel closes the pipe's
// write end), then kills every process in the cgroup $1 and removes it,
// and then the cgroup v1 memory cgroup $2 when one is named (the
// tracer's, see memcgv1), which holds no process once $1 is empty.
// The parent death signal reaches a tracer's leader only; a tracer run by
// a shell, or one that forks, leaves the real tracer running without it.
// On a normal stop benchctl has removed the cgroup by then, and the
// watchdog finds nothing to do.
const watchdogScript = `read _
[ -e "$1/cgroup.kill" ] && echo 1 > "$1/cgroup.kill"
i=0
while [ -d "$1" ] && [ $i -lt 100 ]; do
	for p in $(cat "$1/cgroup.procs"); do kill -9 "$p"; done
	rmdir "$1" && break
	sleep 0.1
	i=$((i+1))
done
[ -z "$2" ] || rmdir "$2"`

// watchdog is a process outside the tracer's cgroup (and outside
// benchctl's process group, so a Ctrl-C does not end it) that cleans the
// cgroup up when benchctl dies; Close lets it go.
type watchdog struct {
	w   *os.File
	cmd *exec.Cmd
}

// startWatchdog starts the watchdog of cgroupPath and of the v1 memory
// cgroup memcgPath ("" for none).
func startWatchdog(cgroupPath, memcgPath string) (*watchdog, error) {
	r, w, err := os.Pipe() // close-on-exec: no other child inherits w
	if err != nil {
		return nil, fmt.Errorf("starting the tracer's watchdog: %w", err)
	}
	defer r.Close()
	cmd := exec.Command("/bin/sh", "-c", watchdogScript, "benchctl-watchdog", cgroupPath, memcgPath)
	cmd.Stdin = r
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return nil, fmt.Errorf("starting the tracer's watchdog: %w", err)
	}
	go cmd.Wait() // reap it whenever it ends
	return &watchdog{w: w, cmd: cmd}, nil
}

// Close ends the watchdog: once the cgroup is gone, it has nothing to do.
func (d *watchdog) Close() {
	if d != nil && d.w != nil {
		d.w.Close()
		d.w = nil
	}
}

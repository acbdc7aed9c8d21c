package probes

import "errors"

// Errors callers map to exit code 3 (the environment cannot run probes).
var (
	ErrPermission = errors.New("insufficient privileges to load BPF programs (run as root, or with CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN)")
	ErrNoBTF      = errors.New("kernel has no BTF (/sys/kernel/btf/vmlinux missing): a kernel built with CONFIG_DEBUG_INFO_BTF=y is required")
)

package probes

// int80 makes a 32-bit syscall through int 0x80 (int80_amd64.s). It
// returns the kernel's result, or -ENOSYS where ia32 emulation is off.
func int80(nr, a1, a2, a3 uint32) int32

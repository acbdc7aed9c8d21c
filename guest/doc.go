// Package guest runs benchctl, or any statically linked program, inside a
// QEMU guest booted with a given kernel, so that benchctl's probes and
// figures can be checked on kernels other than the host's.
//
// Run builds an initramfs (an uncompressed newc cpio) holding a static
// busybox, an /init script, the requested binaries and kernel modules and
// a copy of a shared host folder; boots it with qemu-system-x86_64 (KVM
// when a short boot test succeeds, TCG otherwise); streams the guest's
// serial console; and parses the exit status /init prints as
// BENCHCTL-GUEST-EXIT=<code>. The guest kernel needs no 9p or virtio
// driver: the files the commands created or changed in the shared folder
// come back as a base64 cpio archive on a second serial port (ttyS1) and
// are written under the host folder. /init sets BENCHCTL_GUEST to
// qemu-tcg or qemu-kvm, which the results file records; under TCG the
// guest's timings mean nothing, only its functional results do.
//
// Only cmd/benchctl imports this package.
package guest

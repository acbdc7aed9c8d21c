// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
//
// benchctl's syscall probes: dispatchers on tp_btf/sys_enter and
// tp_btf/sys_exit that tail-call per-syscall fillers, which build one event
// in a per-CPU scratch buffer and copy it into this CPU's ring buffer.
//
// Event layout (little endian, packed), as in Falco's modern_bpf driver:
//   u64 ts; u64 tid (tgid << 32 | pid); u32 len; u16 type; u32 nparams;
//   u16 lens[nparams]; payloads.
// type = syscall_nr * 4 + kind (kind: 0 enter, 1 exit, 2 merged exit).

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define SYSCALL_TABLE_SIZE 512
#define HDR_LEN 26
#define AUX_HALF 8192
#define AUX_SIZE (2 * AUX_HALF)
#define MAX_EVENT_SIZE AUX_HALF
#define SAFE(off) ((off) & (AUX_HALF - 1))
#define PATH_MAX_LEN 4096
#define SNAPLEN_MAX 4096
#define SOCKADDR_MAX 128
#define UNIX_PATH_MAX_LEN 108

#define KIND_ENTER 0
#define KIND_EXIT 1
#define KIND_MERGED 2

#define AF_UNIX_ 1
#define AF_INET_ 2
#define AF_INET6_ 10

// Settings fixed before load (the verifier prunes branches on them).
volatile const __u32 snaplen = 80;
volatile const __u64 cgroup_filter = 0;
// exit_only's TOCTOU mitigation for open, openat, openat2, creat, connect.
volatile const __u32 toctou_mode = 0;

#define TOCTOU_NONE 0
#define TOCTOU_STASH 1
#define TOCTOU_ENTER_EVENT 2

// Kernel-side counters, one copy per CPU.
struct counters {
	__u64 attempted;       // events the programs tried to send
	__u64 drops_full;      // the ring buffer had no room
	__u64 drops_too_large; // the event was larger than MAX_EVENT_SIZE
};

// The scratch buffer an event is built in before it is copied out.
struct auxbuf {
	__u8 data[AUX_SIZE];
	__u32 payload_pos; // where the next payload goes
	__u32 lens_pos;    // where the next u16 length goes
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SYSCALL_TABLE_SIZE);
	__type(key, __u32);
	__type(value, __u8);
} interesting SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SYSCALL_TABLE_SIZE);
	__type(key, __u32);
	__type(value, __u32);
} enter_fillers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SYSCALL_TABLE_SIZE);
	__type(key, __u32);
	__type(value, __u32);
} exit_fillers SEC(".maps");

struct ringbuf_map {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096); // set by the loader
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); // one per possible CPU, set by the loader
	__type(key, __u32);
	__array(values, struct ringbuf_map);
} rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counters);
} counters_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct auxbuf);
} aux_map SEC(".maps");

// Syscall counts for the workload fingerprint (count_exit).
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SYSCALL_TABLE_SIZE);
	__type(key, __u32);
	__type(value, __u64);
} syscall_counts SEC(".maps");

// What toctou=stash copies at sys_enter_<syscall> for the exit filler.
struct stash {
	__u32 nr;
	__u32 armed;         // set at enter, cleared by the exit filler that uses it
	__u32 len;           // bytes of data: the path (NUL included) or the sockaddr
	__u32 pad;
	__u64 args[6];
	struct open_how how; // openat2's struct, from user memory too
	__u8 data[PATH_MAX_LEN];
};

// One entry per thread, keyed by pid_tgid. The exit filler disarms the
// entry it used rather than deleting it, so a thread's next call writes
// its path straight into its entry: a delete and a re-insert would copy
// the whole 4 KiB value on every call (measured: the stash program cost
// ~470 ns per openat that way). Entries of threads that are gone, or that
// died inside the syscall, are evicted by the LRU hash once it is full
// instead of leaking for ever. 1024 entries (about 4 MiB) hold every
// thread that opens files on most machines; a thread whose entry was
// evicted just pays one insert on its next call, and should a live armed
// entry be evicted, the exit filler falls back to reading user memory.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct stash);
} stash_map SEC(".maps");

// A zeroed entry to insert for a thread's first call (too large for the
// BPF stack).
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stash);
} stash_scratch SEC(".maps");

// Force BTF for the types Go reads through bpf2go -type.
const struct counters *unused_counters __attribute__((unused));

/* ---------------------------------------------------------------- args */

#if defined(__TARGET_ARCH_x86)
static __always_inline __u64 syscall_arg(struct pt_regs *regs, int n)
{
	switch (n) {
	case 0: return regs->di;
	case 1: return regs->si;
	case 2: return regs->dx;
	case 3: return regs->r10;
	case 4: return regs->r8;
	case 5: return regs->r9;
	}
	return 0;
}
static __always_inline long syscall_nr(struct pt_regs *regs) { return regs->orig_ax; }
#elif defined(__TARGET_ARCH_arm64)
static __always_inline __u64 syscall_arg(struct pt_regs *regs, int n)
{
	if (n == 0)
		return regs->orig_x0;
	return regs->regs[n & 7];
}
static __always_inline long syscall_nr(struct pt_regs *regs) { return regs->syscallno; }
#else
#error "unsupported architecture"
#endif

/* ---------------------------------------------------------- event build */

static __always_inline struct auxbuf *aux_start(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&aux_map, &zero);
}

static __always_inline void aux_begin(struct auxbuf *a, __u16 type, __u32 nparams)
{
	*(__u16 *)&a->data[20] = type;
	*(__u32 *)&a->data[22] = nparams;
	a->lens_pos = HDR_LEN;
	a->payload_pos = HDR_LEN + nparams * 2;
}

static __always_inline void push_len(struct auxbuf *a, __u16 len)
{
	*(__u16 *)&a->data[SAFE(a->lens_pos)] = len;
	a->lens_pos += 2;
	a->payload_pos += len;
}

static __always_inline void push_u64(struct auxbuf *a, __u64 v)
{
	*(__u64 *)&a->data[SAFE(a->payload_pos)] = v;
	push_len(a, 8);
}

static __always_inline void push_s64(struct auxbuf *a, __s64 v) { push_u64(a, (__u64)v); }

static __always_inline void push_u32(struct auxbuf *a, __u32 v)
{
	*(__u32 *)&a->data[SAFE(a->payload_pos)] = v;
	push_len(a, 4);
}

static __always_inline void push_empty(struct auxbuf *a) { push_len(a, 0); }

// bound masks v in a way the compiler cannot drop, so the verifier sees a
// bounded size after the real clamp that precedes it.
static __always_inline __u64 bound(__u64 v, const __u64 mask)
{
	asm volatile("%0 &= %1" : "+r"(v) : "i"(mask));
	return v;
}

// Bytes from user memory: n is cut at the snaplen.
static __always_inline void push_user_bytes(struct auxbuf *a, __u64 ptr, __s64 n)
{
	if (n <= 0 || !ptr) {
		push_empty(a);
		return;
	}
	__u64 len = n;
	if (len > snaplen)
		len = snaplen;
	if (len > SNAPLEN_MAX)
		len = SNAPLEN_MAX;
	len = bound(len, 2 * SNAPLEN_MAX - 1);
	if (bpf_probe_read_user(&a->data[SAFE(a->payload_pos)], len, (void *)ptr)) {
		push_empty(a);
		return;
	}
	push_len(a, len);
}

// A NUL-terminated path from user memory, NUL included.
static __always_inline void push_user_path(struct auxbuf *a, __u64 ptr)
{
	long n = bpf_probe_read_user_str(&a->data[SAFE(a->payload_pos)], PATH_MAX_LEN, (void *)ptr);
	if (n <= 0) {
		push_empty(a);
		return;
	}
	push_len(a, n & (PATH_MAX_LEN * 2 - 1));
}

// A sockaddr from user memory, addrlen bytes of it at most.
static __always_inline void push_user_sockaddr(struct auxbuf *a, __u64 ptr, __s64 addrlen)
{
	if (!ptr || addrlen <= 0) {
		push_empty(a);
		return;
	}
	__u64 len = addrlen;
	if (len > SOCKADDR_MAX)
		len = SOCKADDR_MAX;
	len = bound(len, 2 * SOCKADDR_MAX - 1);
	if (bpf_probe_read_user(&a->data[SAFE(a->payload_pos)], len, (void *)ptr)) {
		push_empty(a);
		return;
	}
	push_len(a, len);
}

// The six raw syscall arguments.
static __always_inline void push_args(struct auxbuf *a, struct pt_regs *regs)
{
	__u32 off = SAFE(a->payload_pos);
	__u64 *dst = (__u64 *)&a->data[off];
	dst[0] = syscall_arg(regs, 0);
	dst[1] = syscall_arg(regs, 1);
	dst[2] = syscall_arg(regs, 2);
	dst[3] = syscall_arg(regs, 3);
	dst[4] = syscall_arg(regs, 4);
	dst[5] = syscall_arg(regs, 5);
	push_len(a, 48);
}

// The socket behind fd of the current task, or NULL.
static __always_inline struct socket *fd_socket(__s64 fd)
{
	if (fd < 0)
		return NULL;
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	if ((__u64)fd >= max)
		return NULL;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	if (!f)
		return NULL;
	struct socket *sock = BPF_CORE_READ(f, private_data);
	if (!sock || BPF_CORE_READ(sock, file) != f)
		return NULL;
	return sock;
}

// The tuple of the socket behind fd, read from the kernel: family, then
// the client side's address and port, then the server side's. For connect
// the client is local; for accept (client_is_peer) it is the peer.
// inet: u8 family, u32 addr, u16 port, u32 addr, u16 port (13 bytes)
// inet6: u8 family, 16 addr, u16 port, 16 addr, u16 port (37 bytes)
// unix: u8 family, then the peer's path (NUL-terminated)
// Addresses in network order, ports in host order.
static __always_inline void push_tuple(struct auxbuf *a, __s64 fd, int client_is_peer)
{
	struct socket *sock = fd_socket(fd);
	struct sock *sk = sock ? BPF_CORE_READ(sock, sk) : NULL;
	if (!sk) {
		push_empty(a);
		return;
	}
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	__u32 off = SAFE(a->payload_pos);
	__u8 *p = &a->data[off];
	p[0] = family;
	__u16 lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	__u16 rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET_) {
		__u32 laddr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 raddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		if (client_is_peer) {
			*(__u32 *)&p[1] = raddr; *(__u16 *)&p[5] = rport;
			*(__u32 *)&p[7] = laddr; *(__u16 *)&p[11] = lport;
		} else {
			*(__u32 *)&p[1] = laddr; *(__u16 *)&p[5] = lport;
			*(__u32 *)&p[7] = raddr; *(__u16 *)&p[11] = rport;
		}
		push_len(a, 13);
	} else if (family == AF_INET6_) {
		struct in6_addr laddr = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr);
		struct in6_addr raddr = BPF_CORE_READ(sk, __sk_common.skc_v6_daddr);
		if (client_is_peer) {
			__builtin_memcpy(&p[1], &raddr, 16); *(__u16 *)&p[17] = rport;
			__builtin_memcpy(&p[19], &laddr, 16); *(__u16 *)&p[35] = lport;
		} else {
			__builtin_memcpy(&p[1], &laddr, 16); *(__u16 *)&p[17] = lport;
			__builtin_memcpy(&p[19], &raddr, 16); *(__u16 *)&p[35] = rport;
		}
		push_len(a, 37);
	} else if (family == AF_UNIX_) {
		struct unix_sock *us = (struct unix_sock *)sk;
		struct sock *peer = BPF_CORE_READ(us, peer);
		struct unix_address *ua = peer ? BPF_CORE_READ((struct unix_sock *)peer, addr) : NULL;
		long n = 0;
		if (ua)
			n = bpf_probe_read_kernel_str(&p[1], UNIX_PATH_MAX_LEN, &ua->name[0].sun_path);
		if (n <= 0) {
			p[1] = 0;
			n = 1;
		}
		push_len(a, 1 + (n & 127));
	} else {
		push_len(a, 1);
	}
}

// Sends the event built in a, counting attempts and drops.
static __always_inline void aux_submit(struct auxbuf *a)
{
	__u32 zero = 0;
	struct counters *c = bpf_map_lookup_elem(&counters_map, &zero);
	if (!c)
		return;
	c->attempted++;
	__u32 len = a->payload_pos;
	if (len > MAX_EVENT_SIZE) {
		c->drops_too_large++;
		return;
	}
	*(__u64 *)&a->data[0] = bpf_ktime_get_ns();
	*(__u64 *)&a->data[8] = bpf_get_current_pid_tgid();
	*(__u32 *)&a->data[16] = len;
	__u32 cpu = bpf_get_smp_processor_id();
	void *ring = bpf_map_lookup_elem(&rings, &cpu);
	if (!ring) {
		c->drops_full++;
		return;
	}
	if (bpf_ringbuf_output(ring, a->data, len, BPF_RB_NO_WAKEUP))
		c->drops_full++;
}

/* ---------------------------------------------------------- dispatchers */

static __always_inline int interesting_nr(__u32 nr)
{
	if (nr >= SYSCALL_TABLE_SIZE)
		return 0;
	__u8 *on = bpf_map_lookup_elem(&interesting, &nr);
	if (!on || !*on)
		return 0;
	if (cgroup_filter && bpf_get_current_cgroup_id() != cgroup_filter)
		return 0;
	return 1;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	if (!interesting_nr(id))
		return 0;
	bpf_tail_call(ctx, &enter_fillers, id);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	long id = syscall_nr(regs);
	if (!interesting_nr(id))
		return 0;
	bpf_tail_call(ctx, &exit_fillers, id);
	return 0;
}

// floor: what an attached program costs by itself.
SEC("tp_btf/sys_enter")
int BPF_PROG(floor_enter, struct pt_regs *regs, long id) { return 0; }

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_exit, struct pt_regs *regs, long ret) { return 0; }

// count_exit counts every syscall by number, for the workload fingerprint.
SEC("tp_btf/sys_exit")
int BPF_PROG(count_exit, struct pt_regs *regs, long ret)
{
	__u32 nr = syscall_nr(regs);
	if (nr >= SYSCALL_TABLE_SIZE)
		return 0;
	__u64 *n = bpf_map_lookup_elem(&syscall_counts, &nr);
	if (n)
		*n += 1;
	return 0;
}

/* -------------------------------------------------------------- fillers */

// FILLERS(name, n_enter, n_exit) makes three programs from name##_enter
// (the enter parameters) and name##_exit (the exit parameters after res):
//   name_e  the enter event (enter_exit)
//   name_x  the exit event: res, exit params (enter_exit)
//   name_xm the merged exit event: res, exit params, enter params (exit_only)
// FILLERS_EX makes the first two only, for syscalls whose merged exit
// filler is written out (the TOCTOU ones).
#define FILLERS_EX(name, n_enter, n_exit)                                           \
	SEC("tp_btf/sys_enter")                                                     \
	int BPF_PROG(name##_e, struct pt_regs *regs, long id)                       \
	{                                                                           \
		struct auxbuf *a = aux_start();                                     \
		if (!a)                                                             \
			return 0;                                                   \
		aux_begin(a, id * 4 + KIND_ENTER, n_enter);                         \
		name##_enter(a, regs);                                              \
		aux_submit(a);                                                      \
		return 0;                                                           \
	}                                                                           \
	SEC("tp_btf/sys_exit")                                                      \
	int BPF_PROG(name##_x, struct pt_regs *regs, long ret)                      \
	{                                                                           \
		struct auxbuf *a = aux_start();                                     \
		if (!a)                                                             \
			return 0;                                                   \
		aux_begin(a, syscall_nr(regs) * 4 + KIND_EXIT, 1 + n_exit);         \
		push_s64(a, ret);                                                   \
		name##_exit(a, regs, ret);                                          \
		aux_submit(a);                                                      \
		return 0;                                                           \
	}

#define FILLERS(name, n_enter, n_exit)                                              \
	FILLERS_EX(name, n_enter, n_exit)                                           \
	SEC("tp_btf/sys_exit")                                                      \
	int BPF_PROG(name##_xm, struct pt_regs *regs, long ret)                     \
	{                                                                           \
		struct auxbuf *a = aux_start();                                     \
		if (!a)                                                             \
			return 0;                                                   \
		aux_begin(a, syscall_nr(regs) * 4 + KIND_MERGED, 1 + n_exit + n_enter); \
		push_s64(a, ret);                                                   \
		name##_exit(a, regs, ret);                                          \
		name##_enter(a, regs);                                              \
		aux_submit(a);                                                      \
		return 0;                                                           \
	}

#define ARG(n) syscall_arg(regs, n)
#define NO_PARAMS(name)                                                             \
	static __always_inline void name(struct auxbuf *a, struct pt_regs *regs) {}
#define NO_EXIT_PARAMS(name)                                                        \
	static __always_inline void name##_exit(struct auxbuf *a, struct pt_regs *regs, long ret) {}

// generic: enter {args}, exit {res}
static __always_inline void generic_enter(struct auxbuf *a, struct pt_regs *regs) { push_args(a, regs); }
NO_EXIT_PARAMS(generic)
FILLERS(generic, 1, 0)

// read, write: enter {fd, size}, exit {res, data}
static __always_inline void read_enter(struct auxbuf *a, struct pt_regs *regs)
{
	push_s64(a, (int)ARG(0));
	push_u64(a, ARG(2));
}
static __always_inline void read_exit(struct auxbuf *a, struct pt_regs *regs, long ret)
{
	push_user_bytes(a, ARG(1), ret);
}
FILLERS(read, 2, 1)

// close: enter {fd}, exit {res}
static __always_inline void close_enter(struct auxbuf *a, struct pt_regs *regs) { push_s64(a, (int)ARG(0)); }
NO_EXIT_PARAMS(close)
FILLERS(close, 1, 0)

// fcntl: enter {fd, cmd}, exit {res}
static __always_inline void fcntl_enter(struct auxbuf *a, struct pt_regs *regs)
{
	push_s64(a, (int)ARG(0));
	push_u32(a, ARG(1));
}
NO_EXIT_PARAMS(fcntl)
FILLERS(fcntl, 2, 0)

// epoll_ctl: enter {epfd, op, fd}, exit {res}
static __always_inline void epoll_ctl_enter(struct auxbuf *a, struct pt_regs *regs)
{
	push_s64(a, (int)ARG(0));
	push_u32(a, ARG(1));
	push_s64(a, (int)ARG(2));
}
NO_EXIT_PARAMS(epoll_ctl)
FILLERS(epoll_ctl, 3, 0)

// epoll_wait, epoll_pwait: enter {epfd, maxevents, timeout}, exit {res}
static __always_inline void epoll_wait_enter(struct auxbuf *a, struct pt_regs *regs)
{
	push_s64(a, (int)ARG(0));
	push_u32(a, ARG(2));
	push_s64(a, (int)ARG(3));
}
NO_EXIT_PARAMS(epoll_wait)
FILLERS(epoll_wait, 3, 0)

// clock_gettime: enter {clockid}, exit {res}
static __always_inline void clock_gettime_enter(struct auxbuf *a, struct pt_regs *regs) { push_u32(a, ARG(0)); }
NO_EXIT_PARAMS(clock_gettime)
FILLERS(clock_gettime, 1, 0)

// gettimeofday: enter {}, exit {res}
NO_PARAMS(gettimeofday_enter)
NO_EXIT_PARAMS(gettimeofday)
FILLERS(gettimeofday, 0, 0)

// clock_nanosleep: enter {clockid, flags}, exit {res}
static __always_inline void clock_nanosleep_enter(struct auxbuf *a, struct pt_regs *regs)
{
	push_u32(a, ARG(0));
	push_u32(a, ARG(1));
}
NO_EXIT_PARAMS(clock_nanosleep)
FILLERS(clock_nanosleep, 2, 0)

// socket: enter {domain, type, proto}, exit {res}
static __always_inline void socket_enter(struct auxbuf *a, struct pt_regs *regs)
{
	push_u32(a, ARG(0));
	push_u32(a, ARG(1));
	push_u32(a, ARG(2));
}
NO_EXIT_PARAMS(socket)
FILLERS(socket, 3, 0)

// sendto: enter {fd, size, addr}, exit {res, data}
static __always_inline void sendto_enter(struct auxbuf *a, struct pt_regs *regs)
{
	push_s64(a, (int)ARG(0));
	push_u64(a, ARG(2));
	push_user_sockaddr(a, ARG(4), (int)ARG(5));
}
static __always_inline void sendto_exit(struct auxbuf *a, struct pt_regs *regs, long ret)
{
	push_user_bytes(a, ARG(1), ret);
}
FILLERS(sendto, 3, 1)

// recvfrom: enter {fd, size}, exit {res, data, addr}
static __always_inline void recvfrom_enter(struct auxbuf *a, struct pt_regs *regs)
{
	push_s64(a, (int)ARG(0));
	push_u64(a, ARG(2));
}
static __always_inline void recvfrom_exit(struct auxbuf *a, struct pt_regs *regs, long ret)
{
	push_user_bytes(a, ARG(1), ret);
	int addrlen = 0;
	__u64 lenp = ARG(5);
	if (ret >= 0 && lenp)
		bpf_probe_read_user(&addrlen, sizeof(addrlen), (void *)lenp);
	push_user_sockaddr(a, ARG(4), addrlen);
}
FILLERS(recvfrom, 2, 2)

// setsockopt: enter {fd, level, optname, size}, exit {res}
static __always_inline void setsockopt_enter(struct auxbuf *a, struct pt_regs *regs)
{
	push_s64(a, (int)ARG(0));
	push_u32(a, ARG(1));
	push_u32(a, ARG(2));
	push_u64(a, (__u32)ARG(4));
}
NO_EXIT_PARAMS(setsockopt)
FILLERS(setsockopt, 4, 0)

// accept: enter {fd}, exit {res, tuple}
static __always_inline void accept_enter(struct auxbuf *a, struct pt_regs *regs) { push_s64(a, (int)ARG(0)); }
static __always_inline void accept_exit(struct auxbuf *a, struct pt_regs *regs, long ret)
{
	push_tuple(a, ret, 1);
}
FILLERS(accept, 1, 1)

// accept4: enter {fd, flags}, exit {res, tuple}
static __always_inline void accept4_enter(struct auxbuf *a, struct pt_regs *regs)
{
	push_s64(a, (int)ARG(0));
	push_u32(a, ARG(3));
}
#define accept4_exit accept_exit
FILLERS(accept4, 2, 1)

// open_by_handle_at: enter {fd, flags}, exit {res}
static __always_inline void open_by_handle_at_enter(struct auxbuf *a, struct pt_regs *regs)
{
	push_s64(a, (int)ARG(0));
	push_u32(a, ARG(2));
}
NO_EXIT_PARAMS(open_by_handle_at)
FILLERS(open_by_handle_at, 2, 0)

/* ------------------------------------------------ the TOCTOU syscalls */

// open, openat, openat2, creat and connect read a path or a sockaddr from
// user memory, which another thread can rewrite between the kernel's copy
// and the exit filler's read. Their enter parameters are written from
// explicit argument values, so the same code serves the tp_btf fillers
// (args from pt_regs), the per-syscall tracepoints (args from the
// tracepoint) and the stash (args saved at enter).

static __always_inline void open_params(struct auxbuf *a, __u64 name, __u64 flags, __u64 mode)
{
	push_user_path(a, name);
	push_u32(a, flags);
	push_u32(a, mode);
}

static __always_inline void openat_params(struct auxbuf *a, __u64 dirfd, __u64 name, __u64 flags, __u64 mode)
{
	push_s64(a, (int)dirfd);
	push_user_path(a, name);
	push_u32(a, flags);
	push_u32(a, mode);
}

static __always_inline void openat2_params(struct auxbuf *a, __u64 dirfd, __u64 name, __u64 howp)
{
	struct open_how how = {};
	bpf_probe_read_user(&how, sizeof(how), (void *)howp);
	push_s64(a, (int)dirfd);
	push_user_path(a, name);
	push_u32(a, how.flags);
	push_u32(a, how.mode);
	push_u64(a, how.resolve);
}

static __always_inline void creat_params(struct auxbuf *a, __u64 name, __u64 mode)
{
	push_user_path(a, name);
	push_u32(a, mode);
}

static __always_inline void connect_params(struct auxbuf *a, __u64 fd, __u64 addr, __u64 addrlen)
{
	push_s64(a, (int)fd);
	push_user_sockaddr(a, addr, (int)addrlen);
}

// open: enter {name, flags, mode}, exit {res}
static __always_inline void open_enter(struct auxbuf *a, struct pt_regs *regs) { open_params(a, ARG(0), ARG(1), ARG(2)); }
NO_EXIT_PARAMS(open)
FILLERS_EX(open, 3, 0)

// openat: enter {dirfd, name, flags, mode}, exit {res}
static __always_inline void openat_enter(struct auxbuf *a, struct pt_regs *regs) { openat_params(a, ARG(0), ARG(1), ARG(2), ARG(3)); }
NO_EXIT_PARAMS(openat)
FILLERS_EX(openat, 4, 0)

// openat2: enter {dirfd, name, flags, mode, resolve}, exit {res}
static __always_inline void openat2_enter(struct auxbuf *a, struct pt_regs *regs) { openat2_params(a, ARG(0), ARG(1), ARG(2)); }
NO_EXIT_PARAMS(openat2)
FILLERS_EX(openat2, 5, 0)

// creat: enter {name, mode}, exit {res}
static __always_inline void creat_enter(struct auxbuf *a, struct pt_regs *regs) { creat_params(a, ARG(0), ARG(1)); }
NO_EXIT_PARAMS(creat)
FILLERS_EX(creat, 2, 0)

// connect: enter {fd, addr}, exit {res, tuple}; the tuple always comes
// from the kernel socket, so it is what the kernel connected to.
static __always_inline void connect_enter(struct auxbuf *a, struct pt_regs *regs) { connect_params(a, ARG(0), ARG(1), ARG(2)); }
static __always_inline void connect_exit(struct auxbuf *a, struct pt_regs *regs, long ret)
{
	push_tuple(a, (int)ARG(0), 0);
}
FILLERS_EX(connect, 2, 1)

/* stash: copy at enter, use and delete at exit */

// stash_save keeps the arguments and, when ptr is set, up to max bytes of
// user memory (a string when is_str) for this thread's exit filler.
static __always_inline void stash_save(struct trace_event_raw_sys_enter *ctx, const int nargs, __u64 ptr, int is_str, __u64 max, __u64 howp)
{
	__u64 key = bpf_get_current_pid_tgid();
	struct stash *st = bpf_map_lookup_elem(&stash_map, &key);
	if (!st) {
		__u32 zero = 0;
		struct stash *blank = bpf_map_lookup_elem(&stash_scratch, &zero);
		if (!blank)
			return;
		bpf_map_update_elem(&stash_map, &key, blank, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&stash_map, &key);
		if (!st)
			return;
	}
	// ctx fields must be read at constant offsets, and only as many
	// arguments as the syscall has: a syscall tracepoint's record ends
	// there, and the kernel refuses to attach a program reading past it.
	st->nr = ctx->id;
	st->args[0] = ctx->args[0];
	st->args[1] = nargs > 1 ? ctx->args[1] : 0;
	st->args[2] = nargs > 2 ? ctx->args[2] : 0;
	st->args[3] = nargs > 3 ? ctx->args[3] : 0;
	st->len = 0;
	if (is_str) {
		long n = bpf_probe_read_user_str(st->data, PATH_MAX_LEN, (void *)ptr);
		st->len = n > 0 ? n : 0;
	} else if (ptr && max > 0) {
		__u64 len = max > SOCKADDR_MAX ? SOCKADDR_MAX : max;
		len = bound(len, 2 * SOCKADDR_MAX - 1);
		if (!bpf_probe_read_user(st->data, len, (void *)ptr))
			st->len = len;
	}
	if (howp && bpf_probe_read_user(&st->how, sizeof(st->how), (void *)howp))
		__builtin_memset(&st->how, 0, sizeof(st->how));
	st->armed = 1;
}

// stash_take returns this thread's armed stash for syscall nr, or NULL.
static __always_inline struct stash *stash_take(__u32 nr)
{
	__u64 key = bpf_get_current_pid_tgid();
	struct stash *st = bpf_map_lookup_elem(&stash_map, &key);
	if (!st || !st->armed || st->nr != nr)
		return NULL;
	return st;
}

// push_stash_data copies the stashed path or sockaddr into the event.
static __always_inline void push_stash_data(struct auxbuf *a, struct stash *st)
{
	__u64 len = st->len;
	if (len == 0 || len > PATH_MAX_LEN) {
		push_empty(a);
		return;
	}
	len = bound(len, 2 * PATH_MAX_LEN - 1);
	if (bpf_probe_read_kernel(&a->data[SAFE(a->payload_pos)], len, st->data)) {
		push_empty(a);
		return;
	}
	push_len(a, len);
}

// The merged exit fillers of the five: with toctou=stash they take the
// enter parameters from the stash (falling back to user memory when there
// is none); otherwise they read them at exit like every other filler.
#define TOCTOU_XM(name, n_enter, n_exit, from_stash)                                \
	SEC("tp_btf/sys_exit")                                                      \
	int BPF_PROG(name##_xm, struct pt_regs *regs, long ret)                     \
	{                                                                           \
		struct auxbuf *a = aux_start();                                     \
		if (!a)                                                             \
			return 0;                                                   \
		__u32 nr = syscall_nr(regs);                                        \
		aux_begin(a, nr * 4 + KIND_MERGED, 1 + n_exit + n_enter);           \
		push_s64(a, ret);                                                   \
		name##_exit(a, regs, ret);                                          \
		struct stash *st = NULL;                                            \
		if (toctou_mode == TOCTOU_STASH)                                    \
			st = stash_take(nr);                                        \
		if (st) {                                                           \
			from_stash;                                                 \
			st->armed = 0;                                              \
		} else {                                                            \
			name##_enter(a, regs);                                      \
		}                                                                   \
		aux_submit(a);                                                      \
		return 0;                                                           \
	}

TOCTOU_XM(open, 3, 0, ({
	push_stash_data(a, st);
	push_u32(a, st->args[1]);
	push_u32(a, st->args[2]);
}))
TOCTOU_XM(openat, 4, 0, ({
	push_s64(a, (int)st->args[0]);
	push_stash_data(a, st);
	push_u32(a, st->args[2]);
	push_u32(a, st->args[3]);
}))
TOCTOU_XM(openat2, 5, 0, ({
	push_s64(a, (int)st->args[0]);
	push_stash_data(a, st);
	push_u32(a, st->how.flags);
	push_u32(a, st->how.mode);
	push_u64(a, st->how.resolve);
}))
TOCTOU_XM(creat, 2, 0, ({
	push_stash_data(a, st);
	push_u32(a, st->args[1]);
}))
TOCTOU_XM(connect, 2, 1, ({
	push_s64(a, (int)st->args[0]);
	push_stash_data(a, st);
}))

/* per-syscall tracepoints: stash, or send an enter event */

static __always_inline int toctou_filter(void)
{
	return !cgroup_filter || bpf_get_current_cgroup_id() == cgroup_filter;
}

static __always_inline struct auxbuf *toctou_enter_event(long nr, __u32 nparams)
{
	struct auxbuf *a = aux_start();
	if (a)
		aux_begin(a, nr * 4 + KIND_ENTER, nparams);
	return a;
}

SEC("tracepoint/syscalls/sys_enter_open")
int toctou_open(struct trace_event_raw_sys_enter *ctx)
{
	if (!toctou_filter())
		return 0;
	if (toctou_mode == TOCTOU_STASH) {
		stash_save(ctx, 3, ctx->args[0], 1, 0, 0);
	} else if (toctou_mode == TOCTOU_ENTER_EVENT) {
		struct auxbuf *a = toctou_enter_event(ctx->id, 3);
		if (!a)
			return 0;
		open_params(a, ctx->args[0], ctx->args[1], ctx->args[2]);
		aux_submit(a);
	}
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int toctou_openat(struct trace_event_raw_sys_enter *ctx)
{
	if (!toctou_filter())
		return 0;
	if (toctou_mode == TOCTOU_STASH) {
		stash_save(ctx, 4, ctx->args[1], 1, 0, 0);
	} else if (toctou_mode == TOCTOU_ENTER_EVENT) {
		struct auxbuf *a = toctou_enter_event(ctx->id, 4);
		if (!a)
			return 0;
		openat_params(a, ctx->args[0], ctx->args[1], ctx->args[2], ctx->args[3]);
		aux_submit(a);
	}
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_openat2")
int toctou_openat2(struct trace_event_raw_sys_enter *ctx)
{
	if (!toctou_filter())
		return 0;
	if (toctou_mode == TOCTOU_STASH) {
		stash_save(ctx, 4, ctx->args[1], 1, 0, ctx->args[2]);
	} else if (toctou_mode == TOCTOU_ENTER_EVENT) {
		struct auxbuf *a = toctou_enter_event(ctx->id, 5);
		if (!a)
			return 0;
		openat2_params(a, ctx->args[0], ctx->args[1], ctx->args[2]);
		aux_submit(a);
	}
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_creat")
int toctou_creat(struct trace_event_raw_sys_enter *ctx)
{
	if (!toctou_filter())
		return 0;
	if (toctou_mode == TOCTOU_STASH) {
		stash_save(ctx, 2, ctx->args[0], 1, 0, 0);
	} else if (toctou_mode == TOCTOU_ENTER_EVENT) {
		struct auxbuf *a = toctou_enter_event(ctx->id, 2);
		if (!a)
			return 0;
		creat_params(a, ctx->args[0], ctx->args[1]);
		aux_submit(a);
	}
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_connect")
int toctou_connect(struct trace_event_raw_sys_enter *ctx)
{
	if (!toctou_filter())
		return 0;
	if (toctou_mode == TOCTOU_STASH) {
		stash_save(ctx, 3, ctx->args[1], 0, (int)ctx->args[2], 0);
	} else if (toctou_mode == TOCTOU_ENTER_EVENT) {
		struct auxbuf *a = toctou_enter_event(ctx->id, 2);
		if (!a)
			return 0;
		connect_params(a, ctx->args[0], ctx->args[1], ctx->args[2]);
		aux_submit(a);
	}
	return 0;
}

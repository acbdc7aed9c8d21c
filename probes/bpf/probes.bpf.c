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
#define SOCK_NONBLOCK_ 04000
#define SOCK_CLOEXEC_ 02000000

// Settings fixed before load (the verifier prunes branches on them).
volatile const __u32 snaplen = 80;
volatile const __u64 cgroup_filter = 0;
// thread_filter: trace only the thread traced_tid names, set at run time
// (0: none). The built-in fidelity check traces one of its own threads.
volatile const __u32 thread_filter = 0;
__u32 traced_tid = 0;
// count_tgid: count_exit counts only the process it names (0: any), for
// a workload that runs in benchctl's own threads.
volatile const __u32 count_tgid = 0;
// exit_only's TOCTOU mitigation for open, openat, openat2, creat, connect.
volatile const __u32 toctou_mode = 0;

// The cost-anatomy step of the dispatchers (see probes.Step): 0 runs the
// fillers; the others stop short of them, one step at a time.
volatile const __u32 anatomy_step = 0;

#define STEP_FULL 0
#define STEP_DISPATCH 1 // syscall id, interesting lookup, no tail call
#define STEP_TAILCALL 2 // tail call into an empty program
#define STEP_HEADER 3   // tail call into a program that sends a header-only event
#define STEP_STAMP 4    // as STEP_HEADER, without the ring buffer write

// reserve_events: fixed-size events (generic events, and the header-only
// events of the anatomy ladder) are written straight into space reserved
// in the ring, instead of being built in the per-CPU scratch buffer and
// copied out with bpf_ringbuf_output. Same bytes either way.
volatile const __u32 reserve_events = 0;

// plant_loops: a planted regression, for measuring the gate's power on
// live probes (benchctl trace --count --plant N). The dispatchers of
// enter_exit and exit_only run an empty bpf_loop of this many
// iterations on every syscall they handle: known, bounded extra work per
// event. 0 (the default) prunes it away at load.
volatile const __u32 plant_loops = 0;

#define PLANT_MAX (1 << 20)

static long plant_cb(__u32 i, void *data) { return 0; }

static __always_inline void plant(void)
{
	if (plant_loops)
		bpf_loop(plant_loops < PLANT_MAX ? plant_loops : PLANT_MAX, plant_cb, NULL, 0);
}

#define TOCTOU_NONE 0
#define TOCTOU_STASH 1
#define TOCTOU_ENTER_EVENT 2

// Kernel-side counters, one copy per CPU.
struct counters {
	__u64 attempted;       // events the programs tried to send
	__u64 drops_full;      // the ring buffer had no room
	__u64 drops_too_large; // the event was larger than MAX_EVENT_SIZE
	__u64 ia32_skipped;    // 32-bit syscalls with a traced number, not traced
};

// What became of the paths read from user memory, per syscall and side
// (key nr * 2 + at_exit): a path read at sys_enter can fail when its page
// is not resident yet (the kernel has not copied it; a BPF program cannot
// fault it in), which sends the path empty.
struct path_reads {
	__u64 reads;    // paths read
	__u64 failed;   // the read failed (page not resident, or a bad pointer)
	__u64 empty;    // the user's string was empty ("")
	__u64 at_limit; // filled the whole buffer (PATH_MAX_LEN): cut if longer
};

// The scratch buffer an event is built in before it is copied out.
struct auxbuf {
	__u8 data[AUX_SIZE];
	__u8 tmp[2 * SOCKADDR_MAX]; // a user sockaddr being encoded
	__u32 payload_pos; // where the next payload goes
	__u32 lens_pos;    // where the next u16 length goes
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SYSCALL_TABLE_SIZE);
	__type(key, __u32);
	__type(value, __u8);
} interesting SEC(".maps");

// The traced cgroup (slot 0) when cgroup_filter is set: a task in it or in
// any cgroup below it is traced (bpf_current_task_under_cgroup, in every
// kernel with BTF tracing), so processes the command moves into child
// cgroups (containers, systemd-run) stay traced.
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} traced_cgroup SEC(".maps");

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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * SYSCALL_TABLE_SIZE);
	__type(key, __u32);
	__type(value, struct path_reads);
} path_reads_map SEC(".maps");

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
	__u32 read_failed;   // the path could not be read at enter (page not resident)
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
const struct path_reads *unused_path_reads __attribute__((unused));

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

static __always_inline void push_u16(struct auxbuf *a, __u16 v)
{
	*(__u16 *)&a->data[SAFE(a->payload_pos)] = v;
	push_len(a, 2);
}

static __always_inline void push_u8(struct auxbuf *a, __u8 v)
{
	a->data[SAFE(a->payload_pos)] = v;
	push_len(a, 1);
}

static __always_inline void push_empty(struct auxbuf *a) { push_len(a, 0); }

// bound masks v in a way the compiler cannot drop, so the verifier sees a
// bounded size after the real clamp that precedes it.
static __always_inline __u64 bound(__u64 v, const __u64 mask)
{
	asm volatile("%0 &= %1" : "+r"(v) : "i"(mask));
	return v;
}

// copy_user_snap copies n bytes at ptr, cut at the snaplen, into the event
// at off; it returns how many it copied (0 when there was nothing to copy
// or the read failed).
static __always_inline __u64 copy_user_snap(struct auxbuf *a, __u32 off, __u64 ptr, __s64 n)
{
	if (n <= 0 || !ptr)
		return 0;
	__u64 len = n;
	if (len > snaplen)
		len = snaplen;
	if (len > SNAPLEN_MAX)
		len = SNAPLEN_MAX;
	len = bound(len, 2 * SNAPLEN_MAX - 1);
	if (bpf_probe_read_user(&a->data[SAFE(off)], len, (void *)ptr))
		return 0;
	return len;
}

// Bytes from user memory: n is cut at the snaplen.
static __always_inline void push_user_bytes(struct auxbuf *a, __u64 ptr, __s64 n)
{
	push_len(a, copy_user_snap(a, a->payload_pos, ptr, n));
}

// count_path_read records the result n of a bpf_probe_read_user_str of
// a path for syscall nr, read at sys_enter or at sys_exit.
static __always_inline void count_path_read(__u32 nr, int at_exit, long n)
{
	__u32 key = nr * 2 + (at_exit ? 1 : 0);
	struct path_reads *r = bpf_map_lookup_elem(&path_reads_map, &key);
	if (!r)
		return;
	r->reads++;
	// An empty string gives 1 (its NUL) here, and 0 on 6.1 (seen in CI's
	// 6.1 guest), whose strncpy_from_user_nofault does not count the NUL
	// of "": both are an empty string, never a failed read.
	if (n < 0)
		r->failed++;
	else if (n <= 1)
		r->empty++;
	else if (n >= PATH_MAX_LEN)
		r->at_limit++;
}

// A NUL-terminated path from user memory, NUL included. The event's
// header, already written, says which syscall and side it is for.
static __always_inline void push_user_path(struct auxbuf *a, __u64 ptr)
{
	long n = bpf_probe_read_user_str(&a->data[SAFE(a->payload_pos)], PATH_MAX_LEN, (void *)ptr);
	__u16 type = *(__u16 *)&a->data[20];
	count_path_read(type >> 2, (type & 3) != KIND_ENTER, n);
	if (n <= 0) {
		push_empty(a);
		return;
	}
	push_len(a, n & (PATH_MAX_LEN * 2 - 1));
}

// A struct sockaddr from user memory (addrlen bytes of it at most), sent
// in Falco's compact form: u8 family, then
//   inet:  u32 address (network order), u16 port (host order)  7 bytes
//   inet6: 16-byte address, u16 port (host order)             19 bytes
//   unix:  the path, NUL-terminated (an abstract name without its
//          leading NUL)
// An address shorter than its family's struct sends the family alone,
// and so does any other family: the decoder marks the first short, and
// the event still goes out (an odd address must not hide the call).
// encode_sockaddr writes the len bytes of the struct sockaddr in a->tmp.
static __always_inline void encode_sockaddr(struct auxbuf *a, __u64 len)
{
	__u16 family = *(__u16 *)&a->tmp[0];
	__u8 *p = &a->data[SAFE(a->payload_pos)];
	p[0] = family;
	if (family == AF_INET_ && len >= 8) {
		*(__u32 *)&p[1] = *(__u32 *)&a->tmp[4];
		*(__u16 *)&p[5] = bpf_ntohs(*(__u16 *)&a->tmp[2]);
		push_len(a, 7);
	} else if (family == AF_INET6_ && len >= 24) {
		__builtin_memcpy(&p[1], &a->tmp[8], 16);
		*(__u16 *)&p[17] = bpf_ntohs(*(__u16 *)&a->tmp[2]);
		push_len(a, 19);
	} else if (family == AF_UNIX_ && len > 2) {
		// The path is the rest of the address, NUL-terminated or not:
		// a NUL after it bounds the copy.
		a->tmp[len & (2 * SOCKADDR_MAX - 1)] = 0;
		__u32 skip = a->tmp[2] == 0 ? 3 : 2;
		long n = bpf_probe_read_kernel_str(&p[1], UNIX_PATH_MAX_LEN, &a->tmp[skip]);
		if (n <= 0) {
			p[1] = 0;
			n = 1;
		}
		push_len(a, 1 + (n & 127));
	} else {
		push_len(a, 1);
	}
}

static __always_inline void push_user_sockaddr(struct auxbuf *a, __u64 ptr, __s64 addrlen)
{
	if (!ptr || addrlen < 2) {
		push_empty(a);
		return;
	}
	__u64 len = addrlen;
	if (len > SOCKADDR_MAX)
		len = SOCKADDR_MAX;
	len = bound(len, 2 * SOCKADDR_MAX - 1);
	if (len > SOCKADDR_MAX || bpf_probe_read_user(a->tmp, len, (void *)ptr)) {
		push_empty(a);
		return;
	}
	encode_sockaddr(a, len);
}

// setsockopt's value, as Falco's: a one-byte tag (0: raw bytes) and the
// option's bytes, cut at the snaplen (five bytes for an int option).
static __always_inline void push_sockopt_val(struct auxbuf *a, __u64 ptr, __s64 n)
{
	a->data[SAFE(a->payload_pos)] = 0;
	push_len(a, 1 + copy_user_snap(a, a->payload_pos + 1, ptr, n));
}

// The file behind fd of the current task, or NULL.
static __always_inline struct file *fd_file(__s64 fd)
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
	return f;
}

// The socket behind fd of the current task, or NULL.
static __always_inline struct socket *fd_socket(__s64 fd)
{
	struct file *f = fd_file(fd);
	if (!f)
		return NULL;
	struct socket *sock = BPF_CORE_READ(f, private_data);
	if (!sock || BPF_CORE_READ(sock, file) != f)
		return NULL;
	return sock;
}

// dev (u32) and ino (u64) of the file behind fd, zero when there is none.
static __always_inline void push_dev_ino(struct auxbuf *a, __s64 fd)
{
	__u32 dev = 0;
	__u64 ino = 0;
	struct file *f = fd > 0 ? fd_file(fd) : NULL;
	if (f) {
		struct inode *i = BPF_CORE_READ(f, f_inode);
		dev = BPF_CORE_READ(i, i_sb, s_dev);
		ino = BPF_CORE_READ(i, i_ino);
	}
	push_u32(a, dev);
	push_u64(a, ino);
}

// The tuple of the socket behind fd, read from the kernel, in Falco's
// layout: u8 family, then the source's address and port, then the
// destination's. Outbound (connect, sendto) the source is the local end;
// inbound (accept, recvfrom) it is the peer.
//   inet:  u8 family, u32 addr, u16 port, u32 addr, u16 port (13 bytes)
//   inet6: u8 family, 16 addr, u16 port, 16 addr, u16 port   (37 bytes)
//   unix:  u8 family, u64 socket, u64 peer (kernel addresses), then the
//          peer's path, NUL-terminated
// Addresses in network order, ports in host order. When the socket has no
// peer port (an unconnected datagram socket) and the caller passed an
// address (uaddr, ulen bytes of it), the peer is taken from there. A fd
// that is not a socket sends an empty parameter.
static __always_inline void push_tuple(struct auxbuf *a, __s64 fd, int inbound, __u64 uaddr, __s64 ulen)
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
	int from_user = rport == 0 && uaddr && ulen > 0;
	if (family == AF_INET_) {
		__u32 laddr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 raddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		if (from_user && ulen >= 8) {
			if (!bpf_probe_read_user(a->tmp, 8, (void *)uaddr) && *(__u16 *)&a->tmp[0] == AF_INET_) {
				raddr = *(__u32 *)&a->tmp[4];
				rport = bpf_ntohs(*(__u16 *)&a->tmp[2]);
			}
		}
		if (inbound) {
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
		if (from_user && ulen >= 24) {
			if (!bpf_probe_read_user(a->tmp, 24, (void *)uaddr) && *(__u16 *)&a->tmp[0] == AF_INET6_) {
				__builtin_memcpy(&raddr, &a->tmp[8], 16);
				rport = bpf_ntohs(*(__u16 *)&a->tmp[2]);
			}
		}
		if (inbound) {
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
		*(__u64 *)&p[1] = (__u64)sk;
		*(__u64 *)&p[9] = (__u64)peer;
		struct unix_address *ua = peer ? BPF_CORE_READ((struct unix_sock *)peer, addr) : NULL;
		long n = 0;
		if (ua)
			n = bpf_probe_read_kernel_str(&p[17], UNIX_PATH_MAX_LEN, &ua->name[0].sun_path);
		if (n <= 0) {
			p[17] = 0;
			n = 1;
		}
		push_len(a, 17 + (n & 127));
	} else {
		push_empty(a);
	}
}

static __always_inline struct counters *this_counters(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&counters_map, &zero);
}

// this_ring returns this CPU's ring buffer; a missing one counts a drop.
static __always_inline void *this_ring(struct counters *c)
{
	__u32 cpu = bpf_get_smp_processor_id();
	void *ring = bpf_map_lookup_elem(&rings, &cpu);
	if (!ring)
		c->drops_full++;
	return ring;
}

// aux_stamp does all aux_submit does to send the event built in a but
// count the attempt and write it: check its size, stamp its time, thread
// and length, and return this CPU's ring (NULL, counted, when the event
// is too large or there is no ring). The anatomy's stamp step stops here.
static __always_inline void *aux_stamp(struct auxbuf *a, struct counters *c)
{
	__u32 len = a->payload_pos;
	if (len > MAX_EVENT_SIZE) {
		c->drops_too_large++;
		return NULL;
	}
	*(__u64 *)&a->data[0] = bpf_ktime_get_ns();
	*(__u64 *)&a->data[8] = bpf_get_current_pid_tgid();
	*(__u32 *)&a->data[16] = len;
	return this_ring(c);
}

// Sends the event built in a, counting attempts and drops.
static __always_inline void aux_submit(struct auxbuf *a)
{
	struct counters *c = this_counters();
	if (!c)
		return;
	c->attempted++;
	void *ring = aux_stamp(a, c);
	if (ring && bpf_ringbuf_output(ring, a->data, a->payload_pos & (MAX_EVENT_SIZE * 2 - 1), BPF_RB_NO_WAKEUP))
		c->drops_full++;
}

// ring_reserve counts an attempt and reserves size bytes (a constant) in
// this CPU's ring, with the header written; NULL (counted as a drop) when
// the ring is full.
static __always_inline __u8 *ring_reserve(const __u32 size, __u16 type, __u32 nparams)
{
	struct counters *c = this_counters();
	if (!c)
		return NULL;
	c->attempted++;
	void *ring = this_ring(c);
	if (!ring)
		return NULL;
	__u8 *e = bpf_ringbuf_reserve(ring, size, 0);
	if (!e) {
		c->drops_full++;
		return NULL;
	}
	*(__u64 *)&e[0] = bpf_ktime_get_ns();
	*(__u64 *)&e[8] = bpf_get_current_pid_tgid();
	*(__u32 *)&e[16] = size;
	*(__u16 *)&e[20] = type;
	*(__u32 *)&e[22] = nparams;
	return e;
}

// reserved_u16s sends an event of one or two u16 parameters (a generic
// event) reserved in the ring.
static __always_inline int reserved_u16s(__u16 type, __u16 v, int two)
{
	if (two) {
		__u8 *e = ring_reserve(HDR_LEN + 2 * 2 + 2 * 2, type, 2);
		if (!e)
			return 0;
		*(__u16 *)&e[HDR_LEN] = 2;
		*(__u16 *)&e[HDR_LEN + 2] = 2;
		*(__u16 *)&e[HDR_LEN + 4] = v;
		*(__u16 *)&e[HDR_LEN + 6] = v;
		bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
		return 0;
	}
	__u8 *e = ring_reserve(HDR_LEN + 2 + 2, type, 1);
	if (!e)
		return 0;
	*(__u16 *)&e[HDR_LEN] = 2;
	*(__u16 *)&e[HDR_LEN + 2] = v;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

/* ---------------------------------------------------------- dispatchers */

// in_ia32 says the current syscall is a 32-bit one (int 0x80, sysenter or
// a 32-bit process on x86-64), as the kernel's in_ia32_syscall() does:
// its number is from the 32-bit table (20 is getpid there, writev in the
// 64-bit one), so benchctl must not read it with the 64-bit table.
#define TS_COMPAT_ 0x0002
static __always_inline int in_ia32(void)
{
#if defined(__TARGET_ARCH_x86)
	struct task_struct *t = bpf_get_current_task_btf();
	return t->thread_info.status & TS_COMPAT_;
#else
	return 0;
#endif
}

// interesting_nr says whether the dispatchers trace this syscall: a
// number of the set, from the traced cgroup, and not a 32-bit call (whose
// number would be read with the wrong table: those are counted at exit,
// once a call, and dropped). The ia32 check comes last, so only the
// syscalls that pass the rest pay for it.
static __always_inline int interesting_nr(__u32 nr, int at_exit)
{
	if (nr >= SYSCALL_TABLE_SIZE)
		return 0;
	__u8 *on = bpf_map_lookup_elem(&interesting, &nr);
	if (!on || !*on)
		return 0;
	if (cgroup_filter && bpf_current_task_under_cgroup(&traced_cgroup, 0) != 1)
		return 0;
	if (thread_filter && (__u32)bpf_get_current_pid_tgid() != traced_tid)
		return 0;
	if (in_ia32()) {
		if (at_exit) {
			struct counters *c = this_counters();
			if (c)
				c->ia32_skipped++;
		}
		return 0;
	}
	return 1;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	if (!interesting_nr(id, 0))
		return 0;
	plant();
	if (anatomy_step == STEP_DISPATCH)
		return 0;
	bpf_tail_call(ctx, &enter_fillers, id);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	long id = syscall_nr(regs);
	if (!interesting_nr(id, 1))
		return 0;
	plant();
	if (anatomy_step == STEP_DISPATCH)
		return 0;
	bpf_tail_call(ctx, &exit_fillers, id);
	return 0;
}

// The anatomy steps' fillers. empty_*: a tail call's target that does
// nothing; header_*: a header-only event (no parameters), built and sent
// as the fillers build and send theirs.
SEC("tp_btf/sys_enter")
int BPF_PROG(empty_e, struct pt_regs *regs, long id) { return 0; }

SEC("tp_btf/sys_exit")
int BPF_PROG(empty_x, struct pt_regs *regs, long ret) { return 0; }

static __always_inline int header_event(long nr, int kind)
{
	if (anatomy_step == STEP_STAMP) {
		// All the fillers do to send an event but the write (and the
		// attempt count, so that received + dropped = attempted holds).
		struct auxbuf *a = aux_start();
		struct counters *c = this_counters();
		if (!a || !c)
			return 0;
		aux_begin(a, nr * 4 + kind, 0);
		aux_stamp(a, c);
		return 0;
	}
	if (reserve_events) {
		__u8 *e = ring_reserve(HDR_LEN, nr * 4 + kind, 0);
		if (e)
			bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
		return 0;
	}
	struct auxbuf *a = aux_start();
	if (!a)
		return 0;
	aux_begin(a, nr * 4 + kind, 0);
	aux_submit(a);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(header_e, struct pt_regs *regs, long id) { return header_event(id, KIND_ENTER); }

SEC("tp_btf/sys_exit")
int BPF_PROG(header_x, struct pt_regs *regs, long ret) { return header_event(syscall_nr(regs), KIND_EXIT); }

SEC("tp_btf/sys_exit")
int BPF_PROG(header_xm, struct pt_regs *regs, long ret) { return header_event(syscall_nr(regs), KIND_MERGED); }

// floor: what an attached program costs by itself.
SEC("tp_btf/sys_enter")
int BPF_PROG(floor_enter, struct pt_regs *regs, long id) { return 0; }

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_exit, struct pt_regs *regs, long ret) { return 0; }

// count_exit counts every syscall by number, for the workload fingerprint:
// the workload's only, those of the traced cgroup (and below) when
// cgroup_filter is set, of the process count_tgid when it is.
SEC("tp_btf/sys_exit")
int BPF_PROG(count_exit, struct pt_regs *regs, long ret)
{
	__u32 nr = syscall_nr(regs);
	if (nr >= SYSCALL_TABLE_SIZE)
		return 0;
	if (cgroup_filter && bpf_current_task_under_cgroup(&traced_cgroup, 0) != 1)
		return 0;
	if (count_tgid && (__u32)(bpf_get_current_pid_tgid() >> 32) != count_tgid)
		return 0;
	__u64 *n = bpf_map_lookup_elem(&syscall_counts, &nr);
	if (n)
		*n += 1;
	return 0;
}

/* -------------------------------------------------------------- fillers */

// Event shapes follow Falco's modern_bpf driver, parameter for parameter
// and byte for byte (../shared/tracers' README gives the versions): the
// enter and exit events of libs 0.21.0 (enter_exit) and the exit events of
// libs 0.25.4, which carry the former enter parameters (exit_only). Values
// stay Linux's own where Falco translates flags to its own enums (same
// sizes). probes/syscalls/syscalls.go lists the parameters; TestFillers checks
// every one against a call with known arguments.
//
// FILLERS(name, n_e, n_x, n_xm) makes three programs from name##_e_params,
// name##_x_params and name##_xm_params:
//   name_e  the enter event (enter_exit)
//   name_x  the exit event (enter_exit)
//   name_xm the merged exit event (exit_only)
// FILLERS_EX makes the first two only, for syscalls whose merged exit
// filler is written out (the TOCTOU ones).
#define FILLERS_EX(name, n_e, n_x)                                                  \
	SEC("tp_btf/sys_enter")                                                     \
	int BPF_PROG(name##_e, struct pt_regs *regs, long id)                       \
	{                                                                           \
		struct auxbuf *a = aux_start();                                     \
		if (!a)                                                             \
			return 0;                                                   \
		aux_begin(a, id * 4 + KIND_ENTER, n_e);                             \
		name##_e_params(a, regs, id);                                       \
		aux_submit(a);                                                      \
		return 0;                                                           \
	}                                                                           \
	SEC("tp_btf/sys_exit")                                                      \
	int BPF_PROG(name##_x, struct pt_regs *regs, long ret)                      \
	{                                                                           \
		struct auxbuf *a = aux_start();                                     \
		if (!a)                                                             \
			return 0;                                                   \
		long nr = syscall_nr(regs);                                         \
		aux_begin(a, nr * 4 + KIND_EXIT, n_x);                              \
		name##_x_params(a, regs, nr, ret);                                  \
		aux_submit(a);                                                      \
		return 0;                                                           \
	}

#define FILLERS(name, n_e, n_x, n_xm)                                               \
	FILLERS_EX(name, n_e, n_x)                                                  \
	SEC("tp_btf/sys_exit")                                                      \
	int BPF_PROG(name##_xm, struct pt_regs *regs, long ret)                     \
	{                                                                           \
		struct auxbuf *a = aux_start();                                     \
		if (!a)                                                             \
			return 0;                                                   \
		long nr = syscall_nr(regs);                                         \
		aux_begin(a, nr * 4 + KIND_MERGED, n_xm);                           \
		name##_xm_params(a, regs, nr, ret);                                 \
		aux_submit(a);                                                      \
		return 0;                                                           \
	}

#define ARG(n) syscall_arg(regs, n)
#define E_PARAMS(name) static __always_inline void name##_e_params(struct auxbuf *a, struct pt_regs *regs, long nr)
#define X_PARAMS(name) static __always_inline void name##_x_params(struct auxbuf *a, struct pt_regs *regs, long nr, long ret)
#define XM_PARAMS(name) static __always_inline void name##_xm_params(struct auxbuf *a, struct pt_regs *regs, long nr, long ret)

// A flag or enum Falco sends as one byte: values above 255 become 255.
static __always_inline void push_u8_clamped(struct auxbuf *a, __u64 v) { push_u8(a, v > 255 ? 255 : v); }

// generic: every syscall without a filler of its own, as Falco's
// GENERIC events: enter {id, native_id}, exit {id}, merged exit {id,
// native_id}. Falco's id is its own syscall code; benchctl has none and
// sends the native number in both (same sizes). No arguments and no
// return value, as in Falco: so nothing is read from registers that
// execve or rt_sigreturn may have replaced.
// With reserve_events they are written straight into the ring.
SEC("tp_btf/sys_enter")
int BPF_PROG(generic_e, struct pt_regs *regs, long id)
{
	if (reserve_events)
		return reserved_u16s(id * 4 + KIND_ENTER, id, 1);
	struct auxbuf *a = aux_start();
	if (!a)
		return 0;
	aux_begin(a, id * 4 + KIND_ENTER, 2);
	push_u16(a, id);
	push_u16(a, id);
	aux_submit(a);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(generic_x, struct pt_regs *regs, long ret)
{
	long nr = syscall_nr(regs);
	if (reserve_events)
		return reserved_u16s(nr * 4 + KIND_EXIT, nr, 0);
	struct auxbuf *a = aux_start();
	if (!a)
		return 0;
	aux_begin(a, nr * 4 + KIND_EXIT, 1);
	push_u16(a, nr);
	aux_submit(a);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(generic_xm, struct pt_regs *regs, long ret)
{
	long nr = syscall_nr(regs);
	if (reserve_events)
		return reserved_u16s(nr * 4 + KIND_MERGED, nr, 1);
	struct auxbuf *a = aux_start();
	if (!a)
		return 0;
	aux_begin(a, nr * 4 + KIND_MERGED, 2);
	push_u16(a, nr);
	push_u16(a, nr);
	aux_submit(a);
	return 0;
}

// read: enter {fd, size}, exit {res, data, fd, size}; merged as exit.
E_PARAMS(read) { push_s64(a, (int)ARG(0)); push_u32(a, ARG(2)); }
X_PARAMS(read)
{
	push_s64(a, ret);
	push_user_bytes(a, ARG(1), ret);
	push_s64(a, (int)ARG(0));
	push_u32(a, ARG(2));
}
XM_PARAMS(read) { read_x_params(a, regs, nr, ret); }
FILLERS(read, 2, 4, 4)

// write: as read, but data is what the caller handed over: ret bytes when
// the call wrote some, else size bytes (cut at the snaplen either way).
#define write_e_params read_e_params
X_PARAMS(write)
{
	push_s64(a, ret);
	push_user_bytes(a, ARG(1), ret > 0 ? ret : (__s64)ARG(2));
	push_s64(a, (int)ARG(0));
	push_u32(a, ARG(2));
}
XM_PARAMS(write) { write_x_params(a, regs, nr, ret); }
FILLERS(write, 2, 4, 4)

// close: enter {fd}, exit {res}, merged {res, fd}
E_PARAMS(close) { push_s64(a, (int)ARG(0)); }
X_PARAMS(close) { push_s64(a, ret); }
XM_PARAMS(close) { push_s64(a, ret); push_s64(a, (int)ARG(0)); }
FILLERS(close, 1, 1, 2)

// fcntl: enter {fd, cmd}, exit {res, fd, cmd}, merged {res, fd, cmd, arg}
E_PARAMS(fcntl) { push_s64(a, (int)ARG(0)); push_u8_clamped(a, (__u32)ARG(1)); }
X_PARAMS(fcntl)
{
	push_s64(a, ret);
	push_s64(a, (int)ARG(0));
	push_u8_clamped(a, (__u32)ARG(1));
}
XM_PARAMS(fcntl) { fcntl_x_params(a, regs, nr, ret); push_u64(a, ARG(2)); }
FILLERS(fcntl, 2, 3, 4)

// epoll_wait: enter {maxevents}, exit {res}, merged {res, maxevents}
E_PARAMS(epoll_wait) { push_s64(a, (int)ARG(2)); }
X_PARAMS(epoll_wait) { push_s64(a, ret); }
XM_PARAMS(epoll_wait) { push_s64(a, ret); push_s64(a, (int)ARG(2)); }
FILLERS(epoll_wait, 1, 1, 2)

// socket: enter {domain, type, proto}, exit {res, domain, type, proto},
// merged {res, domain, type, proto, flags}
E_PARAMS(socket) { push_u32(a, ARG(0)); push_u32(a, ARG(1)); push_u32(a, ARG(2)); }
X_PARAMS(socket) { push_s64(a, ret); socket_e_params(a, regs, nr); }
XM_PARAMS(socket) { socket_x_params(a, regs, nr, ret); push_u32(a, ARG(1) & (SOCK_NONBLOCK_ | SOCK_CLOEXEC_)); }
FILLERS(socket, 3, 4, 5)

// sendto: enter {fd, size, tuple}, exit {res, data},
// merged {res, data, fd, size, tuple}. The tuple is the socket's, or the
// destination the caller named when the socket has none.
E_PARAMS(sendto)
{
	push_s64(a, (int)ARG(0));
	push_u32(a, ARG(2));
	push_tuple(a, (int)ARG(0), 0, ARG(4), (int)ARG(5));
}
X_PARAMS(sendto)
{
	push_s64(a, ret);
	push_user_bytes(a, ARG(1), ret > 0 ? ret : (__s64)ARG(2));
}
XM_PARAMS(sendto)
{
	sendto_x_params(a, regs, nr, ret);
	push_s64(a, (int)ARG(0));
	push_u32(a, ARG(2));
	if (ret < 0)
		push_empty(a);
	else
		push_tuple(a, (int)ARG(0), 0, ARG(4), (int)ARG(5));
}
FILLERS(sendto, 3, 2, 5)

// recvfrom: enter {fd, size}, exit {res, data, tuple},
// merged {res, data, tuple, fd, size}. The tuple's source is the peer: the
// socket's, or for a socket without one the address the kernel wrote for
// the caller, *addrlen bytes of it at most.
E_PARAMS(recvfrom) { push_s64(a, (int)ARG(0)); push_u32(a, ARG(2)); }
X_PARAMS(recvfrom)
{
	push_s64(a, ret);
	push_user_bytes(a, ARG(1), ret);
	if (ret < 0) {
		push_empty(a);
		return;
	}
	int addrlen = 0;
	__u64 lenp = ARG(5);
	if (ARG(4) && lenp)
		bpf_probe_read_user(&addrlen, sizeof(addrlen), (void *)lenp);
	push_tuple(a, (int)ARG(0), 1, ARG(4), addrlen);
}
XM_PARAMS(recvfrom) { recvfrom_x_params(a, regs, nr, ret); recvfrom_e_params(a, regs, nr); }
FILLERS(recvfrom, 2, 3, 5)

// setsockopt: enter {}, exit {res, fd, level, optname, val, optlen}; merged
// as exit. val is a one-byte tag (0: raw) and the option's bytes, cut at
// the snaplen: five bytes for an int option, as Falco's.
E_PARAMS(setsockopt) {}
X_PARAMS(setsockopt)
{
	push_s64(a, ret);
	push_s64(a, (int)ARG(0));
	push_u8_clamped(a, (__u32)ARG(1));
	push_u8_clamped(a, (__u32)ARG(2));
	push_sockopt_val(a, ARG(3), (int)ARG(4));
	push_u32(a, ARG(4));
}
XM_PARAMS(setsockopt) { setsockopt_x_params(a, regs, nr, ret); }
FILLERS(setsockopt, 0, 6, 6)

// accept: enter {}, exit {res, tuple, queuepct, queuelen, queuemax}; merged
// as exit. The tuple is the new connection's (peer first); the queue
// figures are the listening socket's backlog.
static __always_inline void push_accept_x(struct auxbuf *a, struct pt_regs *regs, long ret)
{
	push_s64(a, ret);
	if (ret >= 0)
		push_tuple(a, ret, 1, 0, 0);
	else
		push_empty(a);
	__u32 len = 0, max = 0;
	struct socket *ls = fd_socket((int)ARG(0));
	struct sock *lsk = ls ? BPF_CORE_READ(ls, sk) : NULL;
	if (lsk) {
		len = BPF_CORE_READ(lsk, sk_ack_backlog);
		max = BPF_CORE_READ(lsk, sk_max_ack_backlog);
	}
	push_u8(a, max ? (__u64)len * 100 / max : 0);
	push_u32(a, len);
	push_u32(a, max);
}
E_PARAMS(accept) {}
X_PARAMS(accept) { push_accept_x(a, regs, ret); }
XM_PARAMS(accept) { push_accept_x(a, regs, ret); }
FILLERS(accept, 0, 5, 5)

// accept4: enter {flags}, exit as accept, merged {exit..., flags}
E_PARAMS(accept4) { push_u32(a, ARG(3)); }
X_PARAMS(accept4) { push_accept_x(a, regs, ret); }
XM_PARAMS(accept4) { push_accept_x(a, regs, ret); push_u32(a, ARG(3)); }
FILLERS(accept4, 1, 5, 6)

// open_by_handle_at: enter {}, exit {res, mountfd, flags, path, dev, ino};
// merged as exit. Falco resolves the opened file's path; benchctl sends it
// empty.
E_PARAMS(open_by_handle_at) {}
X_PARAMS(open_by_handle_at)
{
	push_s64(a, ret);
	push_s64(a, (int)ARG(0));
	push_u32(a, ARG(2));
	push_empty(a);
	push_dev_ino(a, ret);
}
XM_PARAMS(open_by_handle_at) { open_by_handle_at_x_params(a, regs, nr, ret); }
FILLERS(open_by_handle_at, 0, 6, 6)

/* ------------------------------------------------ the TOCTOU syscalls */

// open, openat, openat2, creat and connect read a path or a sockaddr from
// user memory, which another thread can rewrite between the kernel's copy
// and the exit filler's read. Their parameters are written from explicit
// argument values, so the same code serves the tp_btf fillers (args from
// pt_regs), the per-syscall tracepoints (args from the tracepoint) and
// the stash (args saved at enter).

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
	push_u32(a, how.resolve);
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

// The exit parameters that follow the enter ones (all but connect's).
static __always_inline void open_tail(struct auxbuf *a, long ret) { push_dev_ino(a, ret); }
// creat_flags: Falco's "file was created" bits; benchctl sends 0.
static __always_inline void creat_tail(struct auxbuf *a, long ret)
{
	push_dev_ino(a, ret);
	push_u16(a, 0);
}

// open: enter {name, flags, mode}, exit {res, name, flags, mode, dev, ino}
E_PARAMS(open) { open_params(a, ARG(0), ARG(1), ARG(2)); }
X_PARAMS(open) { push_s64(a, ret); open_params(a, ARG(0), ARG(1), ARG(2)); open_tail(a, ret); }
FILLERS_EX(open, 3, 6)

// openat: enter {dirfd, name, flags, mode},
// exit {res, dirfd, name, flags, mode, dev, ino}
E_PARAMS(openat) { openat_params(a, ARG(0), ARG(1), ARG(2), ARG(3)); }
X_PARAMS(openat) { push_s64(a, ret); openat_params(a, ARG(0), ARG(1), ARG(2), ARG(3)); open_tail(a, ret); }
FILLERS_EX(openat, 4, 7)

// openat2: enter {dirfd, name, flags, mode, resolve},
// exit {res, dirfd, name, flags, mode, resolve, dev, ino}
E_PARAMS(openat2) { openat2_params(a, ARG(0), ARG(1), ARG(2)); }
X_PARAMS(openat2) { push_s64(a, ret); openat2_params(a, ARG(0), ARG(1), ARG(2)); open_tail(a, ret); }
FILLERS_EX(openat2, 5, 8)

// creat: enter {name, mode}, exit {res, name, mode, dev, ino, creat_flags}
E_PARAMS(creat) { creat_params(a, ARG(0), ARG(1)); }
X_PARAMS(creat) { push_s64(a, ret); creat_params(a, ARG(0), ARG(1)); creat_tail(a, ret); }
FILLERS_EX(creat, 2, 6)

// connect: enter {fd, addr}, exit {res, tuple, fd}; merged {res, tuple,
// fd, addr}. The tuple comes from the kernel socket, so it is what the
// kernel connected to; it is sent when the call connected or is
// connecting (-EINPROGRESS).
#define EINPROGRESS_ 115
static __always_inline void connect_tuple(struct auxbuf *a, struct pt_regs *regs, long ret, int user_fallback)
{
	if (ret == 0 || ret == -EINPROGRESS_)
		push_tuple(a, (int)ARG(0), 0, user_fallback ? ARG(1) : 0, user_fallback ? (int)ARG(2) : 0);
	else
		push_empty(a);
}
E_PARAMS(connect) { connect_params(a, ARG(0), ARG(1), ARG(2)); }
X_PARAMS(connect) { push_s64(a, ret); connect_tuple(a, regs, ret, 0); push_s64(a, (int)ARG(0)); }
FILLERS_EX(connect, 2, 3)

/* stash: copy at enter, use and disarm at exit */

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
	st->read_failed = 0;
	if (is_str) {
		long n = bpf_probe_read_user_str(st->data, PATH_MAX_LEN, (void *)ptr);
		count_path_read(ctx->id, 0, n);
		st->len = n > 0 ? n : 0;
		st->read_failed = n < 0;
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

// push_stash_path copies the stashed path into the event. When the read at
// enter failed (its page was not resident: a non-sleepable program cannot
// fault it in), the path is read from user memory at exit instead, as
// toctou none does: by then the kernel has faulted the page in. That call
// loses the stash's protection, and keeps its path.
static __always_inline void push_stash_path(struct auxbuf *a, struct stash *st, __u64 user_ptr)
{
	if (st->read_failed) {
		push_user_path(a, user_ptr);
		return;
	}
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

// push_stash_sockaddr encodes the stashed sockaddr: the stash holds a
// kernel copy, so it goes through the same encoder from kernel memory.
static __always_inline void push_stash_sockaddr(struct auxbuf *a, struct stash *st)
{
	__u64 len = st->len;
	if (len < 2 || len > SOCKADDR_MAX) {
		push_empty(a);
		return;
	}
	len = bound(len, 2 * SOCKADDR_MAX - 1);
	if (len > SOCKADDR_MAX || bpf_probe_read_kernel(a->tmp, len, st->data)) {
		push_empty(a);
		return;
	}
	encode_sockaddr(a, len);
}

// The merged exit fillers of the five: the exit event's parameters, and
// connect's addr after them. With toctou=stash the enter parameters come
// from the stash (falling back to user memory when there is none);
// otherwise they are read at exit like every other filler's.
#define TOCTOU_XM(name, n_xm, from_stash, from_regs)                                \
	SEC("tp_btf/sys_exit")                                                      \
	int BPF_PROG(name##_xm, struct pt_regs *regs, long ret)                     \
	{                                                                           \
		struct auxbuf *a = aux_start();                                     \
		if (!a)                                                             \
			return 0;                                                   \
		__u32 nr = syscall_nr(regs);                                        \
		aux_begin(a, nr * 4 + KIND_MERGED, n_xm);                           \
		push_s64(a, ret);                                                   \
		struct stash *st = NULL;                                            \
		if (toctou_mode == TOCTOU_STASH)                                    \
			st = stash_take(nr);                                        \
		if (st) {                                                           \
			from_stash;                                                 \
			st->armed = 0;                                              \
		} else {                                                            \
			from_regs;                                                  \
		}                                                                   \
		aux_submit(a);                                                      \
		return 0;                                                           \
	}

TOCTOU_XM(open, 6, ({
	push_stash_path(a, st, ARG(0));
	push_u32(a, st->args[1]);
	push_u32(a, st->args[2]);
	open_tail(a, ret);
}), ({
	open_params(a, ARG(0), ARG(1), ARG(2));
	open_tail(a, ret);
}))
TOCTOU_XM(openat, 7, ({
	push_s64(a, (int)st->args[0]);
	push_stash_path(a, st, ARG(1));
	push_u32(a, st->args[2]);
	push_u32(a, st->args[3]);
	open_tail(a, ret);
}), ({
	openat_params(a, ARG(0), ARG(1), ARG(2), ARG(3));
	open_tail(a, ret);
}))
TOCTOU_XM(openat2, 8, ({
	push_s64(a, (int)st->args[0]);
	push_stash_path(a, st, ARG(1));
	push_u32(a, st->how.flags);
	push_u32(a, st->how.mode);
	push_u32(a, st->how.resolve);
	open_tail(a, ret);
}), ({
	openat2_params(a, ARG(0), ARG(1), ARG(2));
	open_tail(a, ret);
}))
TOCTOU_XM(creat, 6, ({
	push_stash_path(a, st, ARG(0));
	push_u32(a, st->args[1]);
	creat_tail(a, ret);
}), ({
	creat_params(a, ARG(0), ARG(1));
	creat_tail(a, ret);
}))
TOCTOU_XM(connect, 4, ({
	connect_tuple(a, regs, ret, 1);
	push_s64(a, (int)st->args[0]);
	push_stash_sockaddr(a, st);
}), ({
	connect_tuple(a, regs, ret, 1);
	connect_params(a, ARG(0), ARG(1), ARG(2));
}))

/* per-syscall tracepoints: stash, or send an enter event */

static __always_inline int toctou_filter(void)
{
	if (cgroup_filter && bpf_current_task_under_cgroup(&traced_cgroup, 0) != 1)
		return 0;
	return !thread_filter || (__u32)bpf_get_current_pid_tgid() == traced_tid;
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

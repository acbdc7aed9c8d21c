package probes

// Event is one decoded event.
type Event struct {
	Ts      uint64  // kernel monotonic ns
	Pid     uint32  // thread group id
	Tid     uint32  // thread id
	Nr      int     // syscall number
	Syscall string  // syscall name
	Dir     string  // "enter" or "exit"
	Merged  bool    // an exit_only exit event that carries the enter params too
	Params  []Value // in event order
	Raw     []byte  // the record; valid only during the callback
}

// Value is one decoded parameter.
type Value struct {
	Name string
	Type ParamType
	Val  any // int64, uint64, []byte, string, SockAddr, Tuple or []uint64
}

// ParamType is the wire type of a parameter.
type ParamType uint8

package parallel

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// currentCPU returns the CPU the calling thread runs on, or -1.
func currentCPU() int {
	var cpu uint32
	if _, _, e := unix.RawSyscall(unix.SYS_GETCPU, uintptr(unsafe.Pointer(&cpu)), 0, 0); e != 0 {
		return -1
	}
	return int(cpu)
}

// cpuMask is a worker's hold on its thread's CPU affinity.
type cpuMask struct {
	all    unix.CPUSet // the process's CPUs when the worker first set its mask
	locked bool        // the goroutine is locked to its thread (for good)
}

// avoid restricts the worker's thread to the process's CPUs less cpu, or
// gives it all of them again when cpu < 0. The first call locks the
// goroutine to its thread. It leaves the thread as it is when cpu is the
// only CPU or the kernel refuses.
func (m *cpuMask) avoid(cpu int) {
	if !m.locked {
		if cpu < 0 || unix.SchedGetaffinity(0, &m.all) != nil {
			return
		}
		runtime.LockOSThread()
		m.locked = true
	}
	set := m.all
	if cpu >= 0 {
		set.Clear(cpu)
		if set.Count() == 0 {
			return
		}
	}
	_ = unix.SchedSetaffinity(0, &set)
}

package bench

import "github.com/trainbench/trainbench/kernels/cpu"

// DefaultThreads returns the thread counts benchmarks sweep: 1, every power of
// two below the core count, and the core count (physical cores, since the
// kernels keep every FMA pipe of a core busy with one thread).
func DefaultThreads() []int {
	info, _ := cpu.Detect()
	return ThreadsUpTo(info.PhysicalCores)
}

// ThreadsUpTo returns 1, the powers of two below cores, and cores.
func ThreadsUpTo(cores int) []int {
	ts := []int{1}
	for t := 2; t < cores; t *= 2 {
		ts = append(ts, t)
	}
	if cores > 1 {
		ts = append(ts, cores)
	}
	return ts
}

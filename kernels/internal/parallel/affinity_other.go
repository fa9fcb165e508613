//go:build !linux

package parallel

// currentCPU reports no CPU where the platform has no getcpu.
func currentCPU() int { return -1 }

// cpuMask sets no affinity where the platform has no sched_setaffinity.
type cpuMask struct{}

func (m *cpuMask) avoid(cpu int) {}

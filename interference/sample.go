package interference

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/prometheus/procfs"
)

// CPUTimes are the seconds one CPU (or all of them summed) spent in each
// state since boot, as /proc/stat counts them in clock ticks. Guest time is
// part of User and Nice there, so it has no field of its own.
type CPUTimes struct {
	User, Nice, System, Idle, IOWait, IRQ, SoftIRQ, Steal float64
}

// Busy is the time the CPUs ran something of this system: everything but
// idle, I/O wait and steal (time the hypervisor gave to another machine).
func (c CPUTimes) Busy() float64 { return c.User + c.Nice + c.System + c.IRQ + c.SoftIRQ }

// All is the time of every state: the CPUs' share of wall time, steal
// included, so the counters are their own clock.
func (c CPUTimes) All() float64 { return c.Busy() + c.Idle + c.IOWait + c.Steal }

func (c CPUTimes) sub(d CPUTimes) CPUTimes {
	return CPUTimes{c.User - d.User, c.Nice - d.Nice, c.System - d.System, c.Idle - d.Idle,
		c.IOWait - d.IOWait, c.IRQ - d.IRQ, c.SoftIRQ - d.SoftIRQ, c.Steal - d.Steal}
}

// Sample is one reading of the counters that tell who used the machine: the
// CPU times of the whole system and of this process, and the load average.
type Sample struct {
	Total CPUTimes   // all CPUs summed (/proc/stat's "cpu" line)
	CPUs  []CPUTimes // each online CPU ("cpuN" lines), in /proc/stat's order
	Self  float64    // this process's user + system CPU seconds, all its threads (/proc/self/stat)
	Load1 float64    // the 1-minute load average (/proc/loadavg)
}

// Power is the frequency policy in force: what Google Benchmark's "CPU
// scaling is enabled" warning and pyperf's system show look at. Empty
// fields were not readable (virtual machines often expose neither).
type Power struct {
	// Governors are the distinct cpufreq scaling governors of the CPUs,
	// sorted ("performance", "powersave", "schedutil", ...).
	Governors []string
	// Turbo is "on" or "off" as intel_pstate/no_turbo or cpufreq/boost say,
	// "" when neither is there.
	Turbo string
}

// Source takes samples. Sampler reads them from a Linux /proc and /sys;
// tests give recorded ones.
type Source interface {
	Sample() (Sample, error)
	Power() Power
}

// Sampler reads samples from the proc and sys file systems under Root, "/"
// on a live system and a folder of recorded files in tests. It parses
// /proc with github.com/prometheus/procfs (the parser node_exporter reads
// these files with) and reads the few /sys files of the frequency policy
// itself, which need no parsing.
type Sampler struct {
	Root string // "" means "/"
}

func (s Sampler) root() string {
	if s.Root == "" {
		return "/"
	}
	return s.Root
}

// Sample reads /proc/stat, /proc/self/stat and /proc/loadavg. Every file
// must be there: a system without them (not Linux, a sandbox) gives an
// error and no sample.
func (s Sampler) Sample() (Sample, error) {
	fs, err := procfs.NewFS(filepath.Join(s.root(), "proc"))
	if err != nil {
		return Sample{}, fmt.Errorf("interference: %w", err)
	}
	st, err := fs.Stat()
	if err != nil {
		return Sample{}, fmt.Errorf("interference: %w", err)
	}
	self, err := fs.Self()
	if err != nil {
		return Sample{}, fmt.Errorf("interference: %w", err)
	}
	ps, err := self.Stat()
	if err != nil {
		return Sample{}, fmt.Errorf("interference: %w", err)
	}
	la, err := fs.LoadAvg()
	if err != nil {
		return Sample{}, fmt.Errorf("interference: %w", err)
	}
	out := Sample{Total: cpuTimes(st.CPUTotal), Self: ps.CPUTime(), Load1: la.Load1}
	ids := make([]int64, 0, len(st.CPU))
	for id := range st.CPU {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		out.CPUs = append(out.CPUs, cpuTimes(st.CPU[id]))
	}
	if len(out.CPUs) == 0 {
		return Sample{}, errors.New("interference: /proc/stat lists no CPU")
	}
	return out, nil
}

func cpuTimes(c procfs.CPUStat) CPUTimes {
	return CPUTimes{User: c.User, Nice: c.Nice, System: c.System, Idle: c.Idle, IOWait: c.Iowait, IRQ: c.IRQ, SoftIRQ: c.SoftIRQ, Steal: c.Steal}
}

// Power reads the scaling governor of every CPU and the turbo state
// (intel_pstate's no_turbo, else cpufreq's boost); what is not there stays
// empty.
func (s Sampler) Power() Power {
	cpu := filepath.Join(s.root(), "sys", "devices", "system", "cpu")
	var p Power
	paths, _ := filepath.Glob(filepath.Join(cpu, "cpu[0-9]*", "cpufreq", "scaling_governor"))
	for _, path := range paths {
		if g := readTrimmed(path); g != "" && !slices.Contains(p.Governors, g) {
			p.Governors = append(p.Governors, g)
		}
	}
	slices.Sort(p.Governors)
	switch noTurbo, boost := readTrimmed(filepath.Join(cpu, "intel_pstate", "no_turbo")), readTrimmed(filepath.Join(cpu, "cpufreq", "boost")); {
	case noTurbo == "1":
		p.Turbo = "off"
	case noTurbo == "0":
		p.Turbo = "on"
	case boost == "1":
		p.Turbo = "on"
	case boost == "0":
		p.Turbo = "off"
	}
	return p
}

func readTrimmed(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

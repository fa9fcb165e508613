package reports

import (
	"sort"
	"strconv"
	"strings"
)

// This file reads the measured machine's configuration lines (Input.Machine)
// into the few lines a buyer reads: the CPU, its cores and caches, the peak
// per ISA level and precision, and the memory bandwidths. The keys are those
// a trainbench results file records for its machine profile:
//
//	cpu, cpu-vendor, cpu-family, cpu-model, cores, logical-cpus, l1d, l2, l3
//	isa-features, isa-max, ceiling-mode, clock-ghz, clock-source
//	peak-gflops-<isa>-<prec>-t<threads>, datasheet-gflops-<isa>-<prec>
//	stream-array-bytes, stream-<op>-gbs-t<threads>
//	cache-<level>-gbs-t<threads>, sweep-<op>-gbs-t<threads>-<bytes>
//
// Lines with other keys are shown as given.

// machine is what the configuration lines say about the measured machine.
type machine struct {
	CPU, Vendor     string
	Cores, Logical  int
	L1D, L2, L3     int // bytes; 0 unknown
	ISAMax          string
	ClockGHz        float64
	peaks           map[rateKey]float64 // GFLOP/s by isa, precision, threads
	datasheet       map[rateKey]float64 // GFLOP/s by isa, precision (threads 0)
	streams, caches map[rateKey]float64 // GB/s by op or level, threads
	known           int                 // lines recognised
	Other           []KV                // lines not recognised, in order
}

// rateKey names one measured rate: an ISA level or memory level or STREAM
// op, a precision where it has one, and a thread count.
type rateKey struct {
	name, prec string
	threads    int
}

// readMachine parses the configuration lines; values it cannot read count
// as lines it does not know.
func readMachine(kvs []KV) machine {
	m := machine{peaks: map[rateKey]float64{}, datasheet: map[rateKey]float64{}, streams: map[rateKey]float64{}, caches: map[rateKey]float64{}}
	for _, kv := range kvs {
		if m.read(kv.Key, strings.TrimSpace(kv.Value)) {
			m.known++
		} else {
			m.Other = append(m.Other, kv)
		}
	}
	return m
}

func (m *machine) read(key, v string) bool {
	num := func() (float64, bool) {
		f, err := strconv.ParseFloat(v, 64)
		return f, err == nil && f >= 0
	}
	integer := func(dst *int) bool {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return false
		}
		*dst = n
		return true
	}
	threads := func(s string) (int, bool) {
		n, err := strconv.Atoi(strings.TrimPrefix(s, "t"))
		return n, strings.HasPrefix(s, "t") && err == nil && n > 0
	}
	switch key {
	case "cpu":
		m.CPU = v
		return true
	case "cpu-vendor":
		m.Vendor = v
		return true
	case "cpu-family", "cpu-model", "isa-features", "ceiling-mode", "clock-source", "stream-array-bytes":
		return true // in the configuration lines only
	case "cores":
		return integer(&m.Cores)
	case "logical-cpus":
		return integer(&m.Logical)
	case "l1d":
		return integer(&m.L1D)
	case "l2":
		return integer(&m.L2)
	case "l3":
		return integer(&m.L3)
	case "isa-max":
		m.ISAMax = v
		return true
	case "clock-ghz":
		f, ok := num()
		m.ClockGHz = f
		return ok
	}
	f, ok := num()
	if !ok {
		return false
	}
	parts := strings.Split(key, "-")
	switch {
	case strings.HasPrefix(key, "peak-gflops-") && len(parts) == 5: // peak-gflops-<isa>-<prec>-t<t>
		t, ok := threads(parts[4])
		if ok {
			m.peaks[rateKey{parts[2], parts[3], t}] = f
		}
		return ok
	case strings.HasPrefix(key, "datasheet-gflops-") && len(parts) == 4:
		m.datasheet[rateKey{parts[2], parts[3], 0}] = f
		return true
	case strings.HasPrefix(key, "stream-") && len(parts) == 4 && parts[2] == "gbs": // stream-<op>-gbs-t<t>
		t, ok := threads(parts[3])
		if ok {
			m.streams[rateKey{parts[1], "", t}] = f
		}
		return ok
	case strings.HasPrefix(key, "cache-") && len(parts) == 4 && parts[2] == "gbs": // cache-<level>-gbs-t<t>
		t, ok := threads(parts[3])
		if ok {
			m.caches[rateKey{parts[1], "", t}] = f
		}
		return ok
	case strings.HasPrefix(key, "sweep-") && len(parts) == 5 && parts[2] == "gbs":
		_, ok := threads(parts[3])
		return ok
	}
	return false
}

// bytesIEC formats a size in bytes as KiB, MiB or GiB ("48 KiB", "1 MiB"),
// "unknown" for 0.
func bytesIEC(n int) string {
	if n <= 0 {
		return "unknown"
	}
	v, unit := float64(n), "B"
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB"} {
		if v < 1024 {
			break
		}
		v, unit = v/1024, u
	}
	return trimZeros(sig(v)) + " " + unit
}

// levelOrder ranks ISA and memory level names for listing, the best first.
var levelOrder = map[string]int{"avx512": 0, "avx2": 1, "generic": 2, "l1": 0, "l2": 1, "l3": 2, "dram": 3}

// rateLine lists rates by name across thread counts: "avx512 228 / 452,
// avx2 117 / 234 GFLOP/s (1 / 2 threads)". Names are listed in levelOrder,
// then alphabetically; a rate missing at a thread count is "—".
func rateLine(rates map[rateKey]float64, prec, unit string, label func(string) string) string {
	names, ts := []string{}, []int{}
	seenN, seenT := map[string]bool{}, map[int]bool{}
	for k := range rates {
		if k.prec != prec {
			continue
		}
		if !seenN[k.name] {
			seenN[k.name] = true
			names = append(names, k.name)
		}
		if !seenT[k.threads] {
			seenT[k.threads] = true
			ts = append(ts, k.threads)
		}
	}
	if len(names) == 0 {
		return ""
	}
	sort.Slice(names, func(i, j int) bool {
		ri, iok := levelOrder[names[i]]
		rj, jok := levelOrder[names[j]]
		if iok != jok {
			return iok
		}
		if ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
	sort.Ints(ts)
	var parts []string
	for i, n := range names {
		var vs []string
		for _, t := range ts {
			if v, ok := rates[rateKey{n, prec, t}]; ok {
				vs = append(vs, sig(v))
			} else {
				vs = append(vs, "—")
			}
		}
		s := label(n) + " " + strings.Join(vs, " / ")
		if i == 0 {
			s += " " + unit
		}
		parts = append(parts, s)
	}
	var tl []string
	for _, t := range ts {
		tl = append(tl, strconv.Itoa(t))
	}
	return strings.Join(parts, ", ") + " (" + strings.Join(tl, " / ") + " thread" + plural(ts[len(ts)-1]) + ")"
}

// summary is the machine in a few human lines: the CPU, cores and clock,
// caches, peaks per precision, datasheet peak and memory bandwidth, then
// the lines it did not recognise, as given.
func (m machine) summary() []KV {
	var out []KV
	unknown := func(s string) string {
		if s == "" {
			return "unknown"
		}
		return s
	}
	if m.known == 0 {
		return m.Other
	}
	cpu := unknown(m.CPU)
	if m.Vendor != "" && !strings.Contains(strings.ToLower(m.CPU), strings.ToLower(m.Vendor)) {
		cpu = m.Vendor + " " + cpu
	}
	out = append(out, KV{"CPU", cpu})
	cores := "unknown"
	if m.Cores > 0 {
		cores = strconv.Itoa(m.Cores) + " core" + plural(m.Cores)
	}
	if m.Logical > 0 && m.Logical != m.Cores {
		cores += ", " + strconv.Itoa(m.Logical) + " logical CPUs"
	}
	if m.ClockGHz > 0 {
		cores += " at " + sig(m.ClockGHz) + " GHz (measured)"
	}
	out = append(out, KV{"Cores", cores})
	out = append(out, KV{"Caches", "L1d " + bytesIEC(m.L1D) + " and L2 " + bytesIEC(m.L2) + " per core, L3 " + bytesIEC(m.L3)})
	if m.ISAMax != "" {
		out = append(out, KV{"Best ISA level", m.ISAMax})
	}
	id := func(s string) string { return s }
	for _, prec := range []string{"f32", "f64"} {
		if l := rateLine(m.peaks, prec, "GFLOP/s", id); l != "" {
			out = append(out, KV{"Peak " + map[string]string{"f32": "float32", "f64": "float64"}[prec], l})
		}
	}
	var sheet []string
	for _, prec := range []string{"f32", "f64"} {
		for _, isa := range []string{"avx512", "avx2", "generic"} {
			if v, ok := m.datasheet[rateKey{isa, prec, 0}]; ok {
				sheet = append(sheet, isa+" "+prec+" "+sig(v))
			}
		}
	}
	if len(sheet) > 0 {
		l := strings.Join(sheet, ", ") + " GFLOP/s"
		if m.Cores > 0 {
			l += " on " + strconv.Itoa(m.Cores) + " core" + plural(m.Cores)
		}
		out = append(out, KV{"Datasheet peak", l + " (cores × clock × FLOP per cycle)"})
	}
	if l := rateLine(m.streams, "", "GB/s", func(op string) string { return op }); l != "" {
		out = append(out, KV{"STREAM (DRAM)", l})
	}
	if l := rateLine(m.caches, "", "GB/s", strings.ToUpper); l != "" {
		out = append(out, KV{"Bandwidth by level", l})
	}
	return append(out, m.Other...)
}

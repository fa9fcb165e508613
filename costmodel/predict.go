package costmodel

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/machine"
	"github.com/trainbench/trainbench/shape"
	"github.com/trainbench/trainbench/workload"
)

// How a pass's time was obtained.
const (
	HowMeasured     = "measured"     // the layer's own shape was benchmarked
	HowInterpolated = "interpolated" // from the nearest measured shapes
	HowProfile      = "profile"      // roofline of the measured machine profile
	HowRoofline     = "roofline"     // roofline of catalogued figures
)

// PassTime is the time of one pass of one layer in one training step.
type PassTime struct {
	Layer string        `json:"layer"`
	Kind  workload.Kind `json:"kind"`
	Pass  shape.Pass    `json:"pass"`
	FLOPs float64       `json:"flops"`
	Bytes float64       `json:"bytes"`
	// Seconds per step, low (optimistic) to high.
	Seconds Range  `json:"seconds"`
	How     string `json:"how"` // HowMeasured, HowInterpolated, HowProfile, HowRoofline
	// From names what the time came from: the benchmark case, the
	// interpolation's neighbours with their GFLOP/s, or the roofline's
	// binding term ("compute" or "memory").
	From string `json:"from"`

	runRange bool // the bounds are a run range, not a confidence interval
}

// Prediction is the time of a training step and epoch of a workload on a
// measured machine at one thread count.
type Prediction struct {
	Workload      string     `json:"workload"`
	Threads       int        `json:"threads"`
	Batch         int        `json:"batch"`
	StepsPerEpoch float64    `json:"steps_per_epoch"`
	Passes        []PassTime `json:"passes"`
	StepSeconds   Range      `json:"step_seconds"`
	EpochSeconds  Range      `json:"epoch_seconds"`
	// StepFrom says where StepSeconds comes from: StepFromKernels (the sum
	// of Passes) or the name of a measured whole training step (the
	// TrainStep benchmark family, shape = the workload), which is used when
	// the results have one at this thread count. KernelStepSeconds is the
	// sum of Passes either way.
	StepFrom          string `json:"step_from"`
	KernelStepSeconds Range  `json:"kernel_step_seconds"`
	// Interpolated lists "layer pass" of every pass whose shape was not
	// measured; Notes says what else was approximated.
	Interpolated []string `json:"interpolated,omitempty"`
	Notes        []string `json:"notes,omitempty"`
}

// Predict returns the time of one epoch of w on the machine of m running
// threads threads, from the measured throughput of each layer pass's shape
// (see the package doc). The step overhead of a is added per step; a's
// Confidence sets the interval of measured throughput.
func Predict(w workload.Network, m *Results, threads int, a Assumptions) (Prediction, error) {
	if err := a.Validate(); err != nil {
		return Prediction{}, err
	}
	if m == nil {
		return Prediction{}, fmt.Errorf("costmodel: no measurements")
	}
	if !slices.Contains(m.Threads(), threads) {
		return Prediction{}, fmt.Errorf("costmodel: no measurement at threads=%d (measured: %v)", threads, m.Threads())
	}
	st, err := w.Step(w.Batch)
	if err != nil {
		return Prediction{}, err
	}
	p := Prediction{Workload: w.Name, Threads: threads, Batch: w.Batch, StepsPerEpoch: w.StepsPerEpoch()}
	lk := m.lookup(threads, a.Confidence)
	step := Point(a.StepOverheadS)
	profileNote, runRange := false, 0
	for _, lw := range st.Layers {
		for _, wk := range lw.Passes {
			pt, err := lk.passTime(w.Name, lw, wk)
			if err != nil {
				return Prediction{}, err
			}
			if pt.runRange {
				runRange++
			}
			switch pt.How {
			case HowInterpolated:
				p.Interpolated = append(p.Interpolated, lw.Name+" "+string(wk.Pass))
			case HowProfile:
				profileNote = true
			}
			step = step.Add(pt.Seconds)
			p.Passes = append(p.Passes, pt)
		}
	}
	if len(p.Interpolated) > 0 {
		p.Notes = append(p.Notes, fmt.Sprintf("%d of %d layer passes were not measured at their shape; their throughput is interpolated from the nearest measured shapes", len(p.Interpolated), len(p.Passes)))
	}
	if runRange > 0 {
		p.Notes = append(p.Notes, fmt.Sprintf("%d layer passes rest on cases with too few runs for a %.0f%% confidence interval: their bounds are the slowest and fastest run", runRange, 100*a.Confidence))
	}
	if profileNote {
		p.Notes = append(p.Notes, "element-wise, pooling, normalisation, loss and optimizer passes have no kernel benchmark: their time is a roofline of the measured peak and STREAM sweep (no interval)")
	}
	if a.StepOverheadS > 0 {
		p.Notes = append(p.Notes, fmt.Sprintf("a step overhead of %.3g s is added per step", a.StepOverheadS))
	}
	p.KernelStepSeconds = step
	p.StepFrom = StepFromKernels
	if c, ok := lk.trainStep(w.Name); ok {
		// A measured whole step includes what the kernels measured alone
		// miss: caches holding another layer's data, threads handing data
		// over, the trainer's own work.
		ts := Range{Low: c.Seconds.Lo, Mid: c.Seconds.Center, High: c.Seconds.Hi}
		step = ts.Add(Point(a.StepOverheadS))
		p.StepFrom = c.Name
		p.Notes = append(p.Notes, fmt.Sprintf("the step is the measured training step %s (%.4g s); the kernels measured alone sum to %.4g s a step, %.0f%% of it",
			c.Name, ts.Mid, p.KernelStepSeconds.Mid, 100*p.KernelStepSeconds.Mid/ts.Mid))
	}
	p.StepSeconds = step
	p.EpochSeconds = step.Scale(p.StepsPerEpoch)
	if !p.EpochSeconds.finite() {
		return Prediction{}, fmt.Errorf("costmodel: %s: epoch time is not finite", w.Name)
	}
	return p, nil
}

// StepFromKernels is Prediction.StepFrom when the step is the sum of the
// layer passes' kernel times.
const StepFromKernels = "kernels"

// trainStep returns the fastest measured whole training step of network net
// (family TrainStep, shape=net) at the lookup's thread count.
func (l *lookup) trainStep(net string) (MeasuredCase, bool) {
	for _, c := range l.cases {
		if c.Kernel == benchname.TrainStep && c.Shape == net && c.Seconds.Center > 0 {
			return c, true
		}
	}
	return MeasuredCase{}, false
}

// lookup finds measured throughput for layer passes at one thread count.
type lookup struct {
	m          *Results
	threads    int
	confidence float64
	cases      []MeasuredCase // at this thread count, best implementation per shape and pass
}

func (m *Results) lookup(threads int, confidence float64) *lookup {
	best := map[string]MeasuredCase{} // kernel/pass/shape → best case
	var order []string
	for _, c := range m.Cases {
		if c.Threads != threads || c.Kernel == benchname.Peak || c.Kernel == benchname.Stream {
			continue
		}
		c.summarise(confidence)
		key := fmt.Sprintf("%s/%s/%s/%d,%d,%d", c.Kernel, c.Pass, c.Shape, c.M, c.N, c.K)
		b, ok := best[key]
		if !ok {
			order = append(order, key)
		}
		if !ok || faster(c, b) {
			best[key] = c
		}
	}
	l := &lookup{m: m, threads: threads, confidence: confidence}
	for _, k := range order {
		l.cases = append(l.cases, best[k])
	}
	return l
}

// faster reports whether case a beats case b: higher GFLOP/s, or, for
// cases without FLOPs, less time per op.
func faster(a, b MeasuredCase) bool {
	if a.GFLOPS.Center > 0 || b.GFLOPS.Center > 0 {
		return a.GFLOPS.Center > b.GFLOPS.Center
	}
	return a.Seconds.Center < b.Seconds.Center
}

func (l *lookup) passTime(net string, lw workload.LayerWork, w workload.Work) (PassTime, error) {
	pt := PassTime{Layer: lw.Name, Kind: lw.Kind, Pass: w.Pass, FLOPs: w.FLOPs, Bytes: w.Bytes}
	name := benchname.LayerShapeName(net, lw.Name)
	var found *MeasuredCase
	for i, c := range l.cases {
		if c.Shape == name && c.Pass == string(w.Pass) && (c.GFLOPS.Center > 0 && w.FLOPs > 0 || c.Seconds.Center > 0) {
			found = &l.cases[i]
			break
		}
	}
	if found == nil && lw.Dense != nil {
		if g, ok := lw.Dense.Gemm(w.Pass); ok {
			for i, c := range l.cases {
				if c.M == g.M && c.N == g.N && c.K == g.K && c.Pass == "" {
					found = &l.cases[i]
					break
				}
			}
		}
	}
	if found != nil && (found.GFLOPS.Center == 0 || w.FLOPs == 0) {
		// A kernel that counts no FLOPs: its measured time as it is.
		pt.How, pt.From, pt.runRange = HowMeasured, found.Name, found.RunRange
		s := found.Seconds
		pt.Seconds = Range{Low: min(s.Lo, s.Center), Mid: s.Center, High: max(s.Hi, s.Center)}
		return pt, nil
	}
	if found != nil {
		pt.How, pt.From, pt.runRange = HowMeasured, found.Name, found.RunRange
		pt.Seconds = timeAt(w.FLOPs, found.GFLOPS.Lo, found.GFLOPS.Center, found.GFLOPS.Hi)
		if found.FLOPs > 0 && math.Abs(found.FLOPs/w.FLOPs-1) > 0.01 {
			pt.From += fmt.Sprintf(" (measured at %.4g FLOPs an op, the layer does %.4g: its throughput is used)", found.FLOPs, w.FLOPs)
		}
		return pt, nil
	}
	gemmLike := lw.Conv != nil || lw.Dense != nil || lw.Attention != nil
	if gemmLike && w.Pass != workload.OptimizerPass && w.FLOPs > 0 {
		if ok := l.interpolate(&pt, lw, w); ok {
			return pt, nil
		}
	}
	return pt, l.profileRoofline(&pt, w)
}

// timeAt is the time of flops at throughputs lo ≤ center ≤ hi GFLOP/s; a
// bound that is not a usable rate falls back to the center.
func timeAt(flops, lo, center, hi float64) Range {
	ok := func(v float64) bool { return v > 0 && !math.IsInf(v, 0) && !math.IsNaN(v) }
	if !ok(lo) || lo > center {
		lo = center
	}
	if !ok(hi) || hi < center {
		hi = center
	}
	return Range{Low: flops / (hi * 1e9), Mid: flops / (center * 1e9), High: flops / (lo * 1e9)}
}

// interpolate estimates a GEMM-like pass's throughput from the two nearest
// measured shapes of the same kernel family (conv layers: Conv2D; dense:
// Sgemm; same pass preferred), falling back to every GEMM-like case. The
// distance is Euclidean in (ln FLOPs, ln FLOP/byte); the GFLOP/s are
// weighted by inverse distance.
func (l *lookup) interpolate(pt *PassTime, lw workload.LayerWork, w workload.Work) bool {
	family := ""
	switch {
	case lw.Conv != nil:
		family = benchname.Conv2D
	case lw.Dense != nil:
		family = benchname.Sgemm
	}
	usable := func(c MeasuredCase) bool { return c.FLOPs > 0 && c.GFLOPS.Center > 0 }
	pools := [][]MeasuredCase{nil, nil, nil}
	for _, c := range l.cases {
		if !usable(c) {
			continue
		}
		if c.Kernel == family && (c.Pass == string(w.Pass) || c.Pass == "") {
			pools[0] = append(pools[0], c)
		}
		if c.Kernel == family {
			pools[1] = append(pools[1], c)
		}
		pools[2] = append(pools[2], c)
	}
	intensity := 0.0
	if w.Bytes > 0 {
		intensity = w.FLOPs / w.Bytes
	}
	for _, pool := range pools {
		if len(pool) == 0 {
			continue
		}
		type nb struct {
			c MeasuredCase
			d float64
		}
		var nbs []nb
		for _, c := range pool {
			d := math.Pow(math.Log(w.FLOPs/c.FLOPs), 2)
			if intensity > 0 && c.Intensity > 0 {
				d += math.Pow(math.Log(intensity/c.Intensity), 2)
			}
			nbs = append(nbs, nb{c, math.Sqrt(d)})
		}
		sort.SliceStable(nbs, func(i, j int) bool { return nbs[i].d < nbs[j].d })
		nbs = nbs[:min(2, len(nbs))]
		if nbs[0].d < 1e-9 {
			nbs = nbs[:1]
		}
		var wsum, lo, mid, hi float64
		from := "interpolated from"
		for i, n := range nbs {
			wt := 1.0
			if len(nbs) > 1 {
				wt = 1 / n.d
			}
			g := n.c.GFLOPS
			cl, ch := g.Lo, g.Hi
			if !(cl > 0 && cl <= g.Center) {
				cl = g.Center
			}
			if !(ch >= g.Center) || math.IsInf(ch, 0) {
				ch = g.Center
			}
			wsum += wt
			pt.runRange = pt.runRange || n.c.RunRange
			lo += wt * cl
			mid += wt * g.Center
			hi += wt * ch
			if i > 0 {
				from += ","
			}
			from += fmt.Sprintf(" %s (%.4g GFLOP/s)", n.c.Name, g.Center)
		}
		pt.How, pt.From = HowInterpolated, from
		pt.Seconds = timeAt(w.FLOPs, lo/wsum, mid/wsum, hi/wsum)
		return true
	}
	return false
}

// profileRoofline times a pass with no kernel benchmark from the machine
// profile: max(FLOPs / best measured f32 peak at the thread count, bytes /
// triad bandwidth at the pass's working set (the STREAM sweep entry of the
// smallest size holding it, else DRAM STREAM)). A profile measured at other
// thread counts (a quick profile sweeps only the smallest and largest) lends
// its nearest thread count's figures, and From says so.
func (l *lookup) profileRoofline(pt *PassTime, w workload.Work) error {
	p := l.m.Profile
	var ts []int
	for _, k := range p.Peaks {
		ts = append(ts, k.Threads)
	}
	for _, b := range append(slices.Clone(p.Sweep), p.Streams...) {
		ts = append(ts, b.Threads)
	}
	if !l.m.HasProfile || len(ts) == 0 {
		return fmt.Errorf("costmodel: %s %s: no kernel benchmark for this layer and no machine profile (peak and STREAM) to estimate it from", pt.Layer, pt.Pass)
	}
	// nearest returns the thread count of ts closest to l.threads (the
	// smaller on a tie) among those with a figure.
	nearest := func(has func(t int) bool) int {
		best := 0
		for _, t := range ts {
			if !has(t) {
				continue
			}
			d, bd := abs(t-l.threads), abs(best-l.threads)
			if best == 0 || d < bd || d == bd && t < best {
				best = t
			}
		}
		return best
	}
	tp := nearest(func(t int) bool { return peakAt(p, t) > 0 })
	peak := peakAt(p, tp)
	tb := nearest(func(t int) bool { _, ok := p.Stream(machine.Triad, t); return ok || sweepAt(p, t, 0) > 0 })
	bw := sweepAt(p, tb, w.Bytes)
	if bw == 0 {
		bw, _ = p.Stream(machine.Triad, tb)
	}
	if peak == 0 || bw == 0 {
		return fmt.Errorf("costmodel: %s %s: no kernel benchmark for this layer and the machine profile lacks a peak or a bandwidth", pt.Layer, pt.Pass)
	}
	tc, tm := w.FLOPs/(peak*1e9), w.Bytes/(bw*1e9)
	pt.How = HowProfile
	pt.Seconds = Point(max(tc, tm))
	pt.From = fmt.Sprintf("compute-bound at the %.4g GFLOP/s peak", peak)
	t := tp
	if tm >= tc {
		pt.From, t = fmt.Sprintf("memory-bound at %.4g GB/s (triad)", bw), tb
	}
	if t != l.threads {
		pt.From += fmt.Sprintf(" measured at threads=%d", t)
	}
	return nil
}

// peakAt is the best measured f32 peak of any ISA level at t threads.
func peakAt(p machine.Profile, t int) float64 {
	peak := 0.0
	for _, k := range p.Peaks {
		if k.Prec == benchname.F32 && k.Threads == t {
			peak = max(peak, k.GFLOPS)
		}
	}
	return peak
}

// sweepAt is the triad bandwidth at t threads of the smallest swept working
// set of at least bytes; 0 if none.
func sweepAt(p machine.Profile, t int, bytes float64) float64 {
	bw, size := 0.0, math.MaxInt
	for _, b := range p.Sweep {
		if b.Op == machine.Triad && b.Threads == t && float64(b.Size) >= bytes && b.Size < size {
			bw, size = b.GBs, b.Size
		}
	}
	return bw
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

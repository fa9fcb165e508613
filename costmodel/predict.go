package costmodel

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

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
	HowFused        = "fused"        // runs inside another layer's kernel (From names it): no time of its own
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
	// StepScale, when StepFrom names a whole step measured at another batch
	// or context than this prediction's, is the factor that step was scaled
	// by: the ratio of the kernels' sums at this size and at that one. It
	// is 0 when the step was measured at this size or is the kernels' sum.
	StepScale float64 `json:"step_scale,omitempty"`
	// Interpolated lists "layer pass" of every pass whose shape was not
	// measured; Notes says what else was approximated.
	Interpolated []string `json:"interpolated,omitempty"`
	Notes        []string `json:"notes,omitempty"`
	// Precision is that of the conv, dense and GEMM passes (usesCase).
	Precision benchname.Precision `json:"precision"`
}

// Predict returns the time of one epoch of w at its own batch size on the
// machine of m running threads threads, from the measured throughput of each
// layer pass's shape (see the package doc). The step overhead of a is added
// per step; a's Confidence sets the interval of measured throughput.
func Predict(w workload.Network, m *Results, threads int, a Assumptions) (Prediction, error) {
	return PredictBatch(w, m, threads, w.Batch, a)
}

// PredictBatch is Predict at batch size batch (w.Batch stays the network's
// own: a whole-step case is named by TrainStepShape, with the batch unless
// it is w's own and, for a token network, the context), so that a measured
// whole step is used only at the batch (and context) it was measured at.
func PredictBatch(w workload.Network, m *Results, threads, batch int, a Assumptions) (Prediction, error) {
	return predictBatch(w, m, threads, batch, benchname.F32, a)
}

// predictBatch is PredictBatch with the measured cases of precision prec
// (usesCase; PredictPrecision).
func predictBatch(w workload.Network, m *Results, threads, batch int, prec benchname.Precision, a Assumptions) (Prediction, error) {
	p, lk, err := kernelPredict(w, m, threads, batch, prec, a)
	if err != nil {
		return Prediction{}, err
	}
	step := p.KernelStepSeconds
	if c, ok := lk.trainStep(w, batch); ok {
		// A measured whole step includes what the kernels measured alone
		// miss: caches holding another layer's data, threads handing data
		// over, the trainer's own work.
		ts := Range{Low: c.Seconds.Lo, Mid: c.Seconds.Center, High: c.Seconds.Hi}
		step = ts.Add(Point(a.StepOverheadS))
		p.StepFrom = c.Name
		p.Notes = append(p.Notes, fmt.Sprintf("the step is the measured training step %s (%.4g s); the kernels measured alone sum to %.4g s a step, %.0f%% of it",
			c.Name, ts.Mid, p.KernelStepSeconds.Mid, 100*p.KernelStepSeconds.Mid/ts.Mid))
	} else if c, at, r, ok := scaledTrainStep(w, m, threads, prec, a, lk, p.KernelStepSeconds.Mid); ok {
		// A whole step measured at another size: what it adds to its
		// kernels is taken to be the same share at this size.
		ts := Range{Low: r * c.Seconds.Lo, Mid: r * c.Seconds.Center, High: r * c.Seconds.Hi}
		step = ts.Add(Point(a.StepOverheadS))
		p.StepFrom, p.StepScale = c.Name, r
		p.Notes = append(p.Notes, fmt.Sprintf("the step is the training step measured at another size, %s (%.4g s), scaled by %.4g, the ratio of the kernels' sums at this size and at that one (%.4g s / %.4g s)",
			c.Name, c.Seconds.Center, r, p.KernelStepSeconds.Mid, at))
	}
	p.StepSeconds = step
	p.EpochSeconds = step.Scale(p.StepsPerEpoch)
	if !p.EpochSeconds.finite() {
		return Prediction{}, fmt.Errorf("costmodel: %s: epoch time is not finite", w.Name)
	}
	return p, nil
}

// kernelPredict is predictBatch's step as the sum of the layer passes'
// kernel times (StepFromKernels), with the lookup it used.
func kernelPredict(w workload.Network, m *Results, threads, batch int, prec benchname.Precision, a Assumptions) (Prediction, *lookup, error) {
	if err := a.Validate(); err != nil {
		return Prediction{}, nil, err
	}
	if batch < 1 {
		return Prediction{}, nil, fmt.Errorf("costmodel: %s: batch %d: want at least 1", w.Name, batch)
	}
	if m == nil {
		return Prediction{}, nil, fmt.Errorf("costmodel: no measurements")
	}
	if !slices.Contains(m.Threads(), threads) {
		return Prediction{}, nil, fmt.Errorf("costmodel: no measurement at threads=%d (measured: %v)", threads, m.Threads())
	}
	st, err := w.Step(batch)
	if err != nil {
		return Prediction{}, nil, err
	}
	p := Prediction{Workload: w.Name, Precision: prec, Threads: threads, Batch: batch, StepsPerEpoch: float64(w.Samples) / float64(batch)}
	lk := m.lookup(threads, a.Confidence, prec)
	lk.plan(st)
	step := Point(a.StepOverheadS)
	profileNote, runRange := false, 0
	var profiled []string
	optProfiled := 0
	for _, lw := range st.Layers {
		for _, wk := range lw.Passes {
			pt, err := lk.passTime(w.Name, lw, wk, w.Optimizer)
			if err != nil {
				return Prediction{}, nil, err
			}
			if pt.runRange {
				runRange++
			}
			switch pt.How {
			case HowInterpolated:
				p.Interpolated = append(p.Interpolated, lw.Name+" "+string(wk.Pass))
			case HowProfile:
				if wk.Pass == workload.OptimizerPass {
					optProfiled++
				} else {
					profileNote = true
					profiled = append(profiled, lw.Name+" "+string(wk.Pass))
				}
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
		p.Notes = append(p.Notes, fmt.Sprintf("%d layer passes have no kernel benchmark at their shape (%s): their time is a roofline of the measured peak and STREAM sweep (no interval)",
			len(profiled), Abbreviate(profiled, 6)))
	}
	if optProfiled > 0 {
		p.Notes = append(p.Notes, fmt.Sprintf("the optimizer update (%d layers' parameters) has no kernel benchmark: it is its bytes at the measured bandwidth of one sweep over all %.4g MB of parameters, gradients and state",
			optProfiled, st.Bytes(workload.OptimizerPass)/1e6))
	}
	if a.StepOverheadS > 0 {
		p.Notes = append(p.Notes, fmt.Sprintf("a step overhead of %.3g s is added per step", a.StepOverheadS))
	}
	p.KernelStepSeconds = step
	p.StepFrom = StepFromKernels
	p.StepSeconds = step
	p.EpochSeconds = step.Scale(p.StepsPerEpoch)
	return p, lk, nil
}

// scaledTrainStep finds the whole training step of w measured at the batch
// (or, for a network that reads tokens, context) whose kernels' sum is
// nearest to sum, the kernels' sum at the size being predicted (the least
// extrapolation), and returns it with its own kernels' sum at and the
// ratio r of the two sums, the step overhead left out of both.
func scaledTrainStep(w workload.Network, m *Results, threads int, prec benchname.Precision, a Assumptions, lk *lookup, sum float64) (c MeasuredCase, at, r float64, ok bool) {
	best := math.Inf(1)
	for _, tc := range lk.cases {
		if tc.Kernel != benchname.TrainStep || !(tc.Seconds.Center > 0) {
			continue
		}
		v, b, ok := trainStepVariant(w, tc.Shape)
		if !ok {
			continue
		}
		vp, _, err := kernelPredict(v, m, threads, b, prec, a)
		if err != nil || !(vp.KernelStepSeconds.Mid > a.StepOverheadS) {
			continue
		}
		ratio := (sum - a.StepOverheadS) / (vp.KernelStepSeconds.Mid - a.StepOverheadS)
		if d := math.Abs(math.Log(ratio)); d < best {
			best, c, at, r = d, tc, vp.KernelStepSeconds.Mid, ratio
		}
	}
	return c, at, r, !math.IsInf(best, 1)
}

// trainStepVariant reads a TrainStep shape of network w
// (workload.TrainStepShape: "<name>", "<name>.b<batch>",
// "<name>.t<tokens>b<batch>") back into the network at that context and the
// batch; ok is false for another network's shape.
func trainStepVariant(w workload.Network, shape string) (v workload.Network, batch int, ok bool) {
	rest, found := strings.CutPrefix(shape, w.Name)
	switch {
	case !found:
		return v, 0, false
	case rest == "":
		return w, w.Batch, !w.ReadsTokens()
	}
	v = w
	var t int
	if w.ReadsTokens() {
		if n, err := fmt.Sscanf(rest, ".t%db%d", &t, &batch); err != nil || n != 2 || t < 1 || v.Input.H*v.Input.C != 1 {
			return v, 0, false
		}
		v.Input.W = t
	} else if n, err := fmt.Sscanf(rest, ".b%d", &batch); err != nil || n != 1 {
		return v, 0, false
	}
	if batch < 1 || TrainStepShape(v, batch) != shape {
		return v, 0, false
	}
	return v, batch, true
}

// StepFromKernels is Prediction.StepFrom when the step is the sum of the
// layer passes' kernel times.
const StepFromKernels = "kernels"

// TrainStepShape is the shape= value of the whole-step case (family
// TrainStep) of network w at batch size batch: workload.TrainStepShape, the
// name the benchmark gives it.
func TrainStepShape(w workload.Network, batch int) string { return workload.TrainStepShape(w, batch) }

// trainStep returns the fastest measured whole training step of network w
// at batch size batch (family TrainStep, shape=TrainStepShape) at the
// lookup's thread count.
func (l *lookup) trainStep(w workload.Network, batch int) (MeasuredCase, bool) {
	want := TrainStepShape(w, batch)
	for _, c := range l.cases {
		if c.Kernel == benchname.TrainStep && c.Shape == want && c.Seconds.Center > 0 {
			return c, true
		}
	}
	return MeasuredCase{}, false
}

// Abbreviate joins the first n of ss and says how many more there are: the
// cost model's notes name layer passes so, a few and a count.
func Abbreviate(ss []string, n int) string {
	if len(ss) <= n {
		return strings.Join(ss, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ss[:n], ", "), len(ss)-n)
}

// lookup finds measured throughput for layer passes at one thread count.
type lookup struct {
	m          *Results
	threads    int
	confidence float64
	cases      []MeasuredCase // at this thread count, best implementation per shape and pass

	// Set by plan for one step: the batch norms with the layers fused into
	// them (by batch-norm index), the layer each fused layer runs in, the
	// layer names, and the optimizer's bytes over the whole step.
	bn       map[int]workload.BatchNormFusion
	fusedIn  map[int]int
	names    []string
	optBytes float64
}

// plan prepares l for the layers of st: the trainer's batch-norm fusions
// (workload.FuseBatchNorms) and the optimizer's working set.
func (l *lookup) plan(st workload.Step) {
	rs := make([]workload.Resolved, len(st.Layers))
	l.names = make([]string, len(st.Layers))
	for i, lw := range st.Layers {
		rs[i], l.names[i] = lw.Resolved, lw.Name
	}
	l.bn = workload.FuseBatchNorms(rs)
	l.fusedIn = map[int]int{}
	for i, f := range l.bn {
		for _, j := range []int{f.ReLU, f.Add} {
			if j >= 0 {
				l.fusedIn[j] = i
			}
		}
	}
	l.optBytes = st.Bytes(workload.OptimizerPass)
}

// matchTolerance is how far apart (|ln FLOPs ratio| + |ln FLOP/byte
// ratio|) a measured case and a pass may be and still count as the same
// shape: a results file's FLOPs per op come from rounded GFLOP/s × sec/op.
const matchTolerance = 0.01

// match returns the measured case of family and pass whose FLOPs per op and
// arithmetic intensity equal flops and flops/bytes: the same kernel shape,
// whatever the case is named (ResNet-50's conv shapes are measured once per
// geometry, its batch norms at a few representative layers).
func (l *lookup) match(family, pass string, flops, bytes float64) (*MeasuredCase, bool) {
	if flops <= 0 || bytes <= 0 {
		return nil, false
	}
	best, bd := -1, matchTolerance
	for i, c := range l.cases {
		if c.Kernel != family || c.Pass != pass || c.FLOPs <= 0 || c.Intensity <= 0 || c.GFLOPS.Center <= 0 {
			continue
		}
		d := math.Abs(math.Log(c.FLOPs/flops)) + math.Abs(math.Log(c.Intensity*bytes/flops))
		if d < bd {
			best, bd = i, d
		}
	}
	if best < 0 {
		return nil, false
	}
	return &l.cases[best], true
}

// kernelTime times work k of a memory-bound kernel of family and pass: the
// case measured at its shape; else the throughput of the same kernel (same
// FLOP/byte: the same fusions) measured at the nearest size; else the
// roofline of the machine profile.
func (l *lookup) kernelTime(pt *PassTime, family, pass string, k workload.Work) error {
	if c, ok := l.match(family, pass, k.FLOPs, k.Bytes); ok {
		measuredAt(pt, c, k.FLOPs)
		return nil
	}
	if k.FLOPs > 0 && k.Bytes > 0 {
		best, bd := -1, math.Inf(1)
		for i, c := range l.cases {
			if c.Kernel != family || c.Pass != pass || c.FLOPs <= 0 || c.Intensity <= 0 || c.GFLOPS.Center <= 0 ||
				math.Abs(math.Log(c.Intensity*k.Bytes/k.FLOPs)) > matchTolerance {
				continue
			}
			if d := math.Abs(math.Log(c.FLOPs / k.FLOPs)); d < bd {
				best, bd = i, d
			}
		}
		if best >= 0 {
			c := &l.cases[best]
			measuredAt(pt, c, k.FLOPs)
			pt.How = HowInterpolated
			pt.From = fmt.Sprintf("at the throughput of %s (%.4g GFLOP/s, the same kernel at another size)", c.Name, c.GFLOPS.Center)
			return nil
		}
	}
	return l.profileRoofline(pt, k)
}

// measuredAt is the time of flops at the throughput of measured case c.
func measuredAt(pt *PassTime, c *MeasuredCase, flops float64) {
	pt.How, pt.From, pt.runRange = HowMeasured, c.Name, c.RunRange
	pt.Seconds = timeAt(flops, c.GFLOPS.Lo, c.GFLOPS.Center, c.GFLOPS.Hi)
}

// fusedPass times a pass of a layer the trainer fuses (a batch norm, or a
// ReLU or add run inside one); ok is false for other layers. A batch norm
// runs one forward and one backward kernel (every gradient at once) with
// its fusions: its backward-data pass carries the backward kernel's time,
// its backward-weights pass none. A fused ReLU costs nothing of its own; a
// fused add's forward neither, and its backward-data pass is the gradient
// sum at the fork the block closes, which the trainer runs as an add
// (kernels' AddForward into the gradient) over the add's elements.
func (l *lookup) fusedPass(pt *PassTime, lw workload.LayerWork, w workload.Work) (bool, error) {
	i := lw.Index
	if b, ok := l.fusedIn[i]; ok {
		if lw.Kind == workload.Add && w.Pass == shape.BackwardData {
			n := float64(lw.Batch) * float64(lw.Out.Len())
			k := workload.Work{Pass: w.Pass, FLOPs: shape.OpAdd.FLOPs(int(n)), Bytes: shape.OpAdd.Bytes(int(n))}
			err := l.kernelTime(pt, benchname.Add, string(shape.Forward), k)
			pt.From += " (the gradient sum at the block's fork)"
			return true, err
		}
		pt.How, pt.From, pt.Seconds = HowFused, "in "+l.names[b]+"'s batch-norm kernel", Point(0)
		return true, nil
	}
	f, ok := l.bn[i]
	if !ok || w.Pass == workload.OptimizerPass {
		return false, nil
	}
	s := f.Shape
	var k workload.Work
	switch w.Pass {
	case shape.Forward:
		k = workload.Work{Pass: w.Pass, FLOPs: s.FLOPs(shape.Forward), Bytes: s.Bytes(shape.Forward)}
	case shape.BackwardData:
		k = workload.Work{Pass: w.Pass, FLOPs: s.FLOPs(shape.Backward), Bytes: s.Bytes(shape.Backward)}
	case shape.BackwardWeights:
		pt.How, pt.From, pt.Seconds = HowFused, "in "+lw.Name+"'s backward kernel (every gradient at once, timed as its bwd-data)", Point(0)
		return true, nil
	default:
		return false, nil
	}
	kp := shape.Forward
	if w.Pass != shape.Forward {
		kp = shape.Backward
	}
	return true, l.kernelTime(pt, benchname.BatchNorm, string(kp), k)
}

func (m *Results) lookup(threads int, confidence float64, prec benchname.Precision) *lookup {
	best := map[string]MeasuredCase{} // kernel/pass/shape → best case
	var order []string
	for _, c := range m.Cases {
		if c.Threads != threads || c.Kernel == benchname.Peak || c.Kernel == benchname.Stream || !usesCase(c, prec) {
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

func (l *lookup) passTime(net string, lw workload.LayerWork, w workload.Work, opt workload.Optimizer) (PassTime, error) {
	pt := PassTime{Layer: lw.Name, Kind: lw.Kind, Pass: w.Pass, FLOPs: w.FLOPs, Bytes: w.Bytes}
	if ok, err := l.fusedPass(&pt, lw, w); ok {
		return pt, err
	}
	if ok, err := l.transformerPass(&pt, lw, w, opt); ok {
		return pt, err
	}
	name := benchname.LayerShapeName(net, lw.Name)
	var found *MeasuredCase
	for i, c := range l.cases {
		if c.Shape == name && c.Pass == string(w.Pass) && (c.GFLOPS.Center > 0 && w.FLOPs > 0 || c.Seconds.Center > 0) {
			found = &l.cases[i]
			break
		}
	}
	if found == nil && lw.Conv != nil {
		found, _ = l.match(benchname.Conv2D, string(w.Pass), w.FLOPs, w.Bytes)
	}
	if found == nil && lw.Dense != nil {
		// The Dense kernel at this shape (bias and its gradient
		// included), whatever the case is named.
		found, _ = l.match(benchname.Dense, string(w.Pass), w.FLOPs, w.Bytes)
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
	if w.Pass == workload.OptimizerPass {
		// The trainer updates every parameter in one sweep after the
		// backward pass: the layer's share of a sweep over the whole
		// step's optimizer bytes, not a sweep over its own that would fit
		// a cache.
		return pt, l.optimizerRoofline(&pt, w)
	}
	return pt, l.profileRoofline(&pt, w)
}

// gemmFamily are the kernel families a GEMM-like pass may borrow a
// throughput from.
var gemmFamily = map[string]bool{benchname.Sgemm: true, benchname.Conv2D: true, benchname.Dense: true}

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
		if gemmFamily[c.Kernel] {
			// Memory-bound families (batch norm, adds) say nothing
			// about a matrix product's throughput.
			pools[2] = append(pools[2], c)
		}
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

// optimizerRoofline times optimizer pass w as its share of one sweep over
// the step's optimizer bytes at the bandwidth of that working set.
func (l *lookup) optimizerRoofline(pt *PassTime, w workload.Work) error {
	whole := w
	if l.optBytes > w.Bytes && w.Bytes > 0 {
		whole.Bytes = l.optBytes
		whole.FLOPs = w.FLOPs * l.optBytes / w.Bytes
	}
	if err := l.profileRoofline(pt, whole); err != nil {
		return err
	}
	if whole.Bytes > 0 {
		pt.Seconds = pt.Seconds.Scale(w.Bytes / whole.Bytes)
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

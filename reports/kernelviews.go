package reports

import (
	"math"
	"sort"
	"strconv"
)

// This file selects and summarises the kernel results for the thread-scaling,
// roofline and ISA speed-up views. Each view is computed once and used by both
// the plot and the table behind it.

// implOrder and isaOrder give the order variants are listed in.
var implOrder = map[string]int{"naive": 0, "blocked": 1, "im2col": 2, "direct": 3, "gonum": 4, "openblas": 5}
var isaOrder = map[string]int{"generic": 0, "avx2": 1, "avx512": 2, "native": 3}

func rank(m map[string]int, s string) int {
	if r, ok := m[s]; ok {
		return r
	}
	return len(m)
}

// lessVariant orders (impl, isa) pairs naive first, then by implementation
// and ISA level.
func lessVariant(ai, aisa, bi, bisa string) bool {
	if ra, rb := rank(implOrder, ai), rank(implOrder, bi); ra != rb {
		return ra < rb
	}
	if ai != bi {
		return ai < bi
	}
	if ra, rb := rank(isaOrder, aisa), rank(isaOrder, bisa); ra != rb {
		return ra < rb
	}
	return aisa < bisa
}

// kernelNames lists the kernels in order of first appearance.
func kernelNames(ks []KernelPoint) []string {
	var names []string
	seen := map[string]bool{}
	for _, k := range ks {
		if !seen[k.Kernel] {
			seen[k.Kernel] = true
			names = append(names, k.Kernel)
		}
	}
	return names
}

// scalingSeries is one kernel, implementation, ISA level and shape measured
// at several thread counts.
type scalingSeries struct {
	Kernel, Impl, ISA, Shape string
	Points                   []KernelPoint // sorted by threads
}

func (s scalingSeries) label() string {
	return s.Kernel + " " + s.ISA + " (" + s.Impl + ", " + s.Shape + ")"
}

// maxScalingSeries caps the thread-scaling plot so it stays readable.
const maxScalingSeries = 9

// threadScaling picks, for each kernel and ISA level, the implementation and
// shape measured at two or more thread counts that reached the highest
// GFLOP/s (naive only when nothing else was measured); beyond
// maxScalingSeries of them it keeps the fastest.
func threadScaling(ks []KernelPoint) []scalingSeries {
	type key struct{ kernel, impl, isa, shape string }
	groups := map[key][]KernelPoint{}
	var keys []key
	for _, k := range ks {
		kk := key{k.Kernel, k.Impl, k.ISA, k.Shape}
		if _, ok := groups[kk]; !ok {
			keys = append(keys, kk)
		}
		groups[kk] = append(groups[kk], k)
	}
	best := map[[2]string]scalingSeries{}
	var order [][2]string
	for _, kk := range keys {
		pts := dedupThreads(groups[kk])
		if len(pts) < 2 {
			continue
		}
		s := scalingSeries{kk.kernel, kk.impl, kk.isa, kk.shape, pts}
		g := [2]string{kk.kernel, kk.isa}
		cur, ok := best[g]
		if !ok {
			order = append(order, g)
			best[g] = s
			continue
		}
		if better(s, cur) {
			best[g] = s
		}
	}
	if len(order) > maxScalingSeries {
		sort.SliceStable(order, func(i, j int) bool { return better(best[order[i]], best[order[j]]) })
		order = order[:maxScalingSeries]
	}
	sort.SliceStable(order, func(i, j int) bool {
		if order[i][0] != order[j][0] {
			return order[i][0] < order[j][0]
		}
		if ri, rj := rank(isaOrder, order[i][1]), rank(isaOrder, order[j][1]); ri != rj {
			return ri < rj
		}
		return order[i][1] < order[j][1]
	})
	out := make([]scalingSeries, len(order))
	for i, g := range order {
		out[i] = best[g]
	}
	return out
}

// better prefers non-naive series, then the higher top GFLOP/s, then names.
func better(a, b scalingSeries) bool {
	if (a.Impl == "naive") != (b.Impl == "naive") {
		return b.Impl == "naive"
	}
	ta, tb := a.Points[len(a.Points)-1].GFLOPS, b.Points[len(b.Points)-1].GFLOPS
	if ta != tb {
		return ta > tb
	}
	if a.Impl != b.Impl {
		return a.Impl < b.Impl
	}
	return a.Shape < b.Shape
}

// dedupThreads sorts points by threads, keeping the fastest at each count.
func dedupThreads(pts []KernelPoint) []KernelPoint {
	byT := map[int]KernelPoint{}
	for _, p := range pts {
		if q, ok := byT[p.Threads]; !ok || p.GFLOPS > q.GFLOPS {
			byT[p.Threads] = p
		}
	}
	out := make([]KernelPoint, 0, len(byT))
	for _, p := range byT {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Threads < out[j].Threads })
	return out
}

// speedup is one variant's speed-up over the baseline on one kernel.
type speedup struct {
	Kernel  string
	Variant string  // "naive", "blocked avx512", "gonum"
	Impl    string  // the variant's implementation
	ISA     string  // and ISA level
	Factor  float64 // geometric mean over shared shapes of GFLOP/s / baseline GFLOP/s
	Shapes  int     // shapes the mean is over
	Best    float64 // the variant's highest GFLOP/s on those shapes
	Against string  // what the baseline is ("naive", or "slowest" without naive)
}

// isaSpeedups compares every implementation and ISA level of each kernel with
// the naive implementation, at the smallest thread count measured, as the
// geometric mean over the shapes both ran. Without a naive result the
// baseline is the slowest variant on each shape.
func isaSpeedups(ks []KernelPoint) (out []speedup, threads int) {
	if len(ks) == 0 {
		return nil, 0
	}
	threads = ks[0].Threads
	for _, k := range ks {
		threads = min(threads, k.Threads)
	}
	// Does an implementation run at more than one ISA level?
	isas := map[string]map[string]bool{}
	for _, k := range ks {
		if isas[k.Impl] == nil {
			isas[k.Impl] = map[string]bool{}
		}
		isas[k.Impl][k.ISA] = true
	}
	for _, name := range kernelNames(ks) {
		type vk struct{ impl, isa string }
		perShape := map[string]map[vk]float64{}
		var variants []vk
		seenV := map[vk]bool{}
		for _, k := range ks {
			if k.Kernel != name || k.Threads != threads || k.GFLOPS <= 0 {
				continue
			}
			v := vk{k.Impl, k.ISA}
			if !seenV[v] {
				seenV[v] = true
				variants = append(variants, v)
			}
			if perShape[k.Shape] == nil {
				perShape[k.Shape] = map[vk]float64{}
			}
			perShape[k.Shape][v] = max(perShape[k.Shape][v], k.GFLOPS)
		}
		sort.Slice(variants, func(i, j int) bool {
			return lessVariant(variants[i].impl, variants[i].isa, variants[j].impl, variants[j].isa)
		})
		base := func(shape string) (float64, bool) {
			var b float64
			found := false
			for v, g := range perShape[shape] {
				if v.impl == "naive" && (!found || g > b) {
					b, found = g, true
				}
			}
			return b, found
		}
		against := "naive"
		hasNaive := false
		for s := range perShape {
			if _, ok := base(s); ok {
				hasNaive = true
			}
		}
		if !hasNaive {
			against = "slowest"
			base = func(shape string) (float64, bool) {
				b := math.Inf(1)
				for _, g := range perShape[shape] {
					b = min(b, g)
				}
				return b, true
			}
		}
		shapes := make([]string, 0, len(perShape))
		for s := range perShape {
			shapes = append(shapes, s)
		}
		sort.Strings(shapes)
		for _, v := range variants {
			var logSum, bestG float64
			n := 0
			for _, s := range shapes {
				g, ok := perShape[s][v]
				b, bok := base(s)
				if !ok || !bok {
					continue
				}
				logSum += math.Log(g / b)
				bestG = max(bestG, g)
				n++
			}
			if n == 0 {
				continue
			}
			label := v.impl
			if len(isas[v.impl]) > 1 {
				label += " " + v.isa
			}
			out = append(out, speedup{name, label, v.impl, v.isa, math.Exp(logSum / float64(n)), n, bestG, against})
		}
	}
	return out, threads
}

// rooflineView is the slice of results the roofline draws: one thread count,
// its ceilings and the kernel points measured at it.
type rooflineView struct {
	Threads    int
	Peaks      []Peak
	Bandwidths []Bandwidth
	Points     []KernelPoint
	Note       string // what was substituted, if anything
}

// roofline picks the largest thread count with kernel points and the
// ceilings measured at it; when no ceiling was measured at that count it uses
// the nearest count that has them and says so.
func roofline(ks []KernelPoint, c Ceilings) rooflineView {
	count := map[int]int{}
	for _, k := range ks {
		if k.Intensity > 0 && k.GFLOPS > 0 {
			count[k.Threads]++
		}
	}
	v := rooflineView{}
	for t := range count {
		v.Threads = max(v.Threads, t)
	}
	for _, k := range ks {
		if k.Threads == v.Threads && k.Intensity > 0 && k.GFLOPS > 0 {
			v.Points = append(v.Points, k)
		}
	}
	ceilT := v.Threads
	if v.Threads == 0 || !hasCeilings(c, v.Threads) {
		// The nearest thread count with ceilings, preferring more threads.
		bestD := -1
		for _, t := range ceilingThreads(c) {
			d := t - v.Threads
			if d < 0 {
				d = -d
			}
			if bestD < 0 || d < bestD || d == bestD && t > ceilT {
				bestD, ceilT = d, t
			}
		}
		if v.Threads != 0 && bestD > 0 {
			v.Note = "ceilings measured at " + strconv.Itoa(ceilT) + " thread" + plural(ceilT) + ", kernels at " + strconv.Itoa(v.Threads)
		}
		if v.Threads == 0 {
			v.Threads = ceilT
		}
	}
	for _, p := range c.Peaks {
		if p.Threads == ceilT && p.GFLOPS > 0 {
			v.Peaks = append(v.Peaks, p)
		}
	}
	for _, b := range c.Bandwidths {
		if b.Threads == ceilT && b.GBps > 0 {
			v.Bandwidths = append(v.Bandwidths, b)
		}
	}
	sort.SliceStable(v.Peaks, func(i, j int) bool { return v.Peaks[i].GFLOPS > v.Peaks[j].GFLOPS })
	sort.SliceStable(v.Bandwidths, func(i, j int) bool { return v.Bandwidths[i].GBps > v.Bandwidths[j].GBps })
	return v
}

func hasCeilings(c Ceilings, t int) bool {
	for _, p := range c.Peaks {
		if p.Threads == t && p.GFLOPS > 0 {
			return true
		}
	}
	for _, b := range c.Bandwidths {
		if b.Threads == t && b.GBps > 0 {
			return true
		}
	}
	return false
}

func ceilingThreads(c Ceilings) []int {
	seen := map[int]bool{}
	var ts []int
	for _, p := range c.Peaks {
		if !seen[p.Threads] && p.GFLOPS > 0 {
			seen[p.Threads] = true
			ts = append(ts, p.Threads)
		}
	}
	for _, b := range c.Bandwidths {
		if !seen[b.Threads] && b.GBps > 0 {
			seen[b.Threads] = true
			ts = append(ts, b.Threads)
		}
	}
	sort.Ints(ts)
	return ts
}

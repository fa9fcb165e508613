package kernels_test

import (
	"fmt"
	"testing"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/shape"
	"github.com/trainbench/trainbench/workload"
)

// BenchmarkConv2DResNet50 times every distinct conv shape of ResNet-50 at
// batch 8 (workload.ResNet50, all 23, not only the bench package's
// representative set) through the Context methods, as a trainer calls them:
// pass=fwd, bwd-data (not for the stem, whose input needs no gradient) and
// bwd-weights, on the highest ISA level here and one thread. Each reports
// GFLOP/s and, as "weight", how many layers of the network have the shape,
// so that a step's conv time is Σ weight·ns/op.
func BenchmarkConv2DResNet50(b *testing.B) {
	info, err := cpu.Detect()
	if err != nil {
		b.Fatal(err)
	}
	ctx, err := kernels.NewContext(info.Max(), 1)
	if err != nil {
		b.Fatal(err)
	}
	defer ctx.Close()
	layers, err := workload.ResNet50().Resolve(8)
	if err != nil {
		b.Fatal(err)
	}
	var shapes []kernels.Conv2DShape
	count := map[kernels.Conv2DShape]int{}
	first := map[kernels.Conv2DShape]bool{}
	for _, l := range layers {
		if l.Conv == nil {
			continue
		}
		if count[*l.Conv] == 0 {
			shapes = append(shapes, *l.Conv)
		}
		count[*l.Conv]++
		first[*l.Conv] = first[*l.Conv] || l.First
	}
	f := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(i%7) * 0.25
		}
		return v
	}
	for _, s := range shapes {
		x, w, y := f(s.InputLen()), f(s.WeightLen()), f(s.OutputLen())
		db := make([]float32, s.K)
		run := func(pass shape.Pass, call func()) {
			b.Run(fmt.Sprintf("%v/pass=%v", s, pass), func(b *testing.B) {
				call()
				b.ResetTimer()
				for b.Loop() {
					call()
				}
				b.ReportMetric(s.FLOPs(pass)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				b.ReportMetric(float64(count[s]), "weight")
			})
		}
		run(shape.Forward, func() { ctx.Conv2DForward(s, x, w, nil, y) })
		if !first[s] {
			run(shape.BackwardData, func() { ctx.Conv2DBackwardData(s, y, w, x) })
		}
		run(shape.BackwardWeights, func() { ctx.Conv2DBackwardWeights(s, x, y, w, db) })
	}
}

package costmodel

import (
	"fmt"

	"github.com/trainbench/trainbench/bench"
	"github.com/trainbench/trainbench/workload"
)

// NeededShapes returns the kernel shapes Predict looks up for w at its batch
// size, so a benchmark run can measure exactly them: the conv layers named
// by bench.LayerShapeName (for bench.Conv2DCases), and the matrix products of
// the dense and linear layers' passes, deduplicated (for bench.SgemmCases;
// Note names the layers and passes). The GEMMs are measured untransposed;
// the backward passes' transposes are assumed to run at the same speed.
func NeededShapes(w workload.Network) ([]bench.ConvShape, []bench.GemmShape, error) {
	st, err := w.Step(w.Batch)
	if err != nil {
		return nil, nil, err
	}
	var convs []bench.ConvShape
	var gemms []bench.GemmShape
	index := map[[3]int]int{}
	for _, lw := range st.Layers {
		if lw.Conv != nil {
			convs = append(convs, bench.ConvShape{Name: bench.LayerShapeName(w.Name, lw.Name), Shape: *lw.Conv, First: !lw.InputGrad})
		}
		if lw.Dense == nil {
			continue
		}
		for _, p := range lw.Passes {
			m, n, k, ok := gemmDims(*lw.Dense, p.Pass)
			if !ok {
				continue
			}
			what := fmt.Sprintf("%s %s", bench.LayerShapeName(w.Name, lw.Name), p.Pass)
			if i, dup := index[[3]int{m, n, k}]; dup {
				gemms[i].Note += ", " + what
				continue
			}
			index[[3]int{m, n, k}] = len(gemms)
			gemms = append(gemms, bench.GemmShape{M: m, N: n, K: k, Note: what})
		}
	}
	return convs, gemms, nil
}

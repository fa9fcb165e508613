package bench

import (
	"fmt"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/workload"
)

// NeededShapes returns the kernel shapes the cost model (costmodel.Predict)
// looks up for w at its batch size, so that a benchmark run can measure
// exactly them: the conv layers named by benchname.LayerShapeName (for
// Conv2DCases), and the matrix products of the dense and linear layers'
// passes, deduplicated (for SgemmCases, in no set: benchname.SetCustom;
// Note names the layers and passes). The GEMMs are measured untransposed;
// the backward passes' transposes are assumed to run at the same speed.
func NeededShapes(w workload.Network) ([]ConvShape, []GemmShape, error) {
	st, err := w.Step(w.Batch)
	if err != nil {
		return nil, nil, err
	}
	var convs []ConvShape
	var gemms []GemmShape
	index := map[[3]int]int{}
	for _, lw := range st.Layers {
		if lw.Conv != nil {
			convs = append(convs, ConvShape{Name: benchname.LayerShapeName(w.Name, lw.Name), Shape: *lw.Conv, First: !lw.InputGrad})
		}
		if lw.Dense == nil {
			continue
		}
		for _, p := range lw.Passes {
			g, ok := lw.Dense.Gemm(p.Pass)
			if !ok {
				continue
			}
			what := fmt.Sprintf("%s %s", benchname.LayerShapeName(w.Name, lw.Name), p.Pass)
			key := [3]int{g.M, g.N, g.K}
			if i, dup := index[key]; dup {
				gemms[i].Note += ", " + what
				continue
			}
			index[key] = len(gemms)
			gemms = append(gemms, GemmShape{Gemm: g, Note: what})
		}
	}
	return convs, gemms, nil
}

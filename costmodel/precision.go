package costmodel

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/workload"
)

// mixedFamilies are the kernel families the mixed-precision trainer runs in
// bf16 (bf16 operands, float32 sums): convolution, dense layers and matrix
// products. Everything else (batch norm, activations, pooling, adds, the
// optimizer) stays float32.
var mixedFamilies = map[string]bool{benchname.Conv2D: true, benchname.Sgemm: true, benchname.Dense: true}

// MeasuredPrecisions are the precisions a measured machine is priced at:
// float32, and bf16 where its results hold bf16 cases (BF16Row).
var MeasuredPrecisions = []benchname.Precision{benchname.F32, benchname.BF16}

// usesCase reports whether a prediction at precision prec reads case c. At
// f32: the float32 cases. At bf16, as the mixed-precision trainer runs a
// step: the bf16 cases of any family, and the float32 cases of every family
// but the mixed ones (a conv or GEMM shape without a bf16 case is
// interpolated from the bf16 ones, never taken at its float32 speed) and
// the whole training step (a float32 step is not a bf16 one).
func usesCase(c MeasuredCase, prec benchname.Precision) bool {
	cp := c.Prec
	if cp == "" {
		cp = benchname.F32
	}
	if cp == prec {
		return true
	}
	return prec == benchname.BF16 && cp == benchname.F32 && !mixedFamilies[c.Kernel] && c.Kernel != benchname.TrainStep
}

// BF16Row reports whether the machine of m can be priced in bf16 at
// threads: its results hold a prec=bf16 case of a convolution, dense or
// GEMM family at that thread count. When not, reason is one line saying
// why, for the report.
func (m *Results) BF16Row(threads int) (ok bool, reason string) {
	if m == nil {
		return false, "no measurements"
	}
	var at []int
	for _, c := range m.Cases {
		if c.Prec == benchname.BF16 && mixedFamilies[c.Kernel] {
			if c.Threads == threads {
				return true, ""
			}
			if !slices.Contains(at, c.Threads) {
				at = append(at, c.Threads)
			}
		}
	}
	if len(at) > 0 {
		slices.Sort(at)
		return false, fmt.Sprintf("no bf16 row at %d threads: the results' prec=bf16 conv and GEMM cases are at threads %v", threads, at)
	}
	return false, fmt.Sprintf("no bf16 row: the results hold no prec=bf16 %s case (benchrun run --set bf16 measures them on a CPU with AVX512_BF16)",
		strings.Join([]string{benchname.Conv2D, benchname.Dense, benchname.Sgemm}, ", "))
}

// PredictPrecision is PredictBatch at precision prec (MeasuredPrecisions).
// At bf16 the step is the one the mixed-precision trainer runs: conv, dense
// and GEMM passes at the throughput of the results' prec=bf16 cases
// (measured at the shape, else interpolated from the nearest bf16 shapes),
// and batch norm, activations, pooling and the optimizer from the float32
// cases and profile, as at f32; a Prediction note says so. Results without
// a bf16 conv or GEMM case at threads are an error (BF16Row's reason).
func PredictPrecision(w workload.Network, m *Results, threads, batch int, prec benchname.Precision, a Assumptions) (Prediction, error) {
	switch prec {
	case benchname.F32, "":
		return predictBatch(w, m, threads, batch, benchname.F32, a)
	case benchname.BF16:
	default:
		return Prediction{}, fmt.Errorf("costmodel: a measured machine is priced at %s, not %s", benchname.PrecisionList(MeasuredPrecisions), prec)
	}
	if ok, reason := m.BF16Row(threads); !ok {
		return Prediction{}, fmt.Errorf("costmodel: %s", reason)
	}
	p, err := predictBatch(w, m, threads, batch, benchname.BF16, a)
	if err != nil {
		return p, err
	}
	p.Notes = append([]string{BF16Basis}, p.Notes...)
	return p, nil
}

// BF16Basis says what a measured bf16 estimate rests on.
const BF16Basis = "bf16 as the mixed-precision trainer runs it: conv, dense and GEMM passes at the throughput of the prec=bf16 cases measured on this machine (bf16 operands, float32 sums); batch norm, activations, pooling and the optimizer in float32 as measured"

// MeasuredPrecisionOption returns the measured option o (MeasuredOption) at
// precision prec: the same machine, threads and prices, its conv, dense and
// GEMM passes priced from its prec=bf16 cases (PredictPrecision). Its id is
// o's with "-bf16" appended and its name o's with " (bf16)", so that both
// rows show side by side. When the results cannot price prec (BF16Row),
// ok is false and reason says why in one line.
func MeasuredPrecisionOption(o Option, prec benchname.Precision) (_ Option, ok bool, reason string) {
	if o.Measured == nil {
		return o, false, fmt.Sprintf("%s is not a measured machine", o.ID)
	}
	switch prec {
	case benchname.F32, "":
		return o, true, ""
	case benchname.BF16:
	default:
		return o, false, fmt.Sprintf("a measured machine is priced at %s, not %s", benchname.PrecisionList(MeasuredPrecisions), prec)
	}
	if ok, reason := o.Measured.Results.BF16Row(o.Measured.Threads); !ok {
		return o, false, o.Name + ": " + reason
	}
	mm := *o.Measured
	mm.Precision = prec
	o.Measured = &mm
	o.ID += "-" + string(prec)
	o.Name += " (" + string(prec) + ")"
	o.Notes = slices.Clone(o.Notes)
	return o, true, ""
}

// LikeForLike says, in one line, which rows of ests compare at the same
// precision: the measured machines' bf16 rows with the catalogued options
// at bf16, their f32 rows with those at f32. Empty when no measured row is
// at bf16.
func LikeForLike(ests []EpochEstimate) string {
	var mb, cb, cf []string
	for _, e := range ests {
		if e.Unavailable != "" {
			continue
		}
		switch {
		case e.Basis == BasisMeasured && e.Precision == benchname.BF16:
			mb = append(mb, e.Option)
		case e.Basis == BasisCatalogued && e.Precision == benchname.BF16:
			cb = append(cb, e.Option)
		case e.Basis == BasisCatalogued && e.Precision == benchname.F32:
			cf = append(cf, e.Option)
		}
	}
	if len(mb) == 0 {
		return ""
	}
	s := fmt.Sprintf("precision: bf16 is compared with bf16: the measured bf16 rows (%s; conv, dense and GEMM measured in bf16, the rest float32) with the %d catalogued options at bf16",
		strings.Join(mb, ", "), len(cb))
	if len(cb) == 0 {
		s += " (none: --precision bf16 prices the accelerators at bf16)"
	}
	if len(cf) > 0 {
		s += fmt.Sprintf(", the measured f32 rows with the %d catalogued at f32", len(cf))
	}
	return s
}

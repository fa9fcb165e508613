package kernels

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

func init() {
	SgemmImpls.Register(Impl[SgemmFunc]{Name: "gonum", Mode: Native, Fn: sgemmGonum,
		Doc: "gonum.org/v1/gonum/blas/gonum Sgemm (pure Go + SSE; threads = GOMAXPROCS)"})
}

// sgemmGonum calls gonum's pure-Go Sgemm, the reference a Go program gets
// without cgo. gonum splits work over GOMAXPROCS goroutines of its own, not
// over the Context's threads; the benchmarks set GOMAXPROCS to the thread
// count of each case so that comparisons are fair.
//
// gonum differs from SgemmFunc's contract at two edges, which are handled
// here: with k = 0 it asks for (m−1)·lda elements of an A that has none, and
// with alpha = 0 it still multiplies A by B (a NaN in them reaches C).
func sgemmGonum(_ *Context, tA, tB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkSgemm(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleRows(m, n, beta, c, ldc)
		return
	}
	gonum.Implementation{}.Sgemm(blas.Transpose(tA), blas.Transpose(tB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

//go:build cblas && cgo

package kernels

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>

void openblas_set_num_threads(int num_threads);
char* openblas_get_corename(void);
*/
import "C"

import (
	"sync"
	"unsafe"
)

func init() {
	SgemmImpls.Register(Impl[SgemmFunc]{Name: "openblas", Mode: Native, Fn: sgemmOpenBLAS,
		Doc: "the system OpenBLAS cblas_sgemm through cgo (build tag cblas; core " + openBLASCore() + ")"})
}

var openblasThreads struct {
	sync.Mutex
	n int
}

// openBLASCore returns the kernel family OpenBLAS chose for this CPU (for
// example "Cooperlake" or "Haswell"; OPENBLAS_CORETYPE overrides it).
func openBLASCore() string { return C.GoString(C.openblas_get_corename()) }

// sgemmOpenBLAS calls the system BLAS's cblas_sgemm (row-major), with
// OpenBLAS's thread count set to the Context's. It is the reference for how
// far our kernels are from the machine's tuned BLAS; it picks its own
// instructions, so benchmarks label it isa=native.
func sgemmOpenBLAS(ctx *Context, tA, tB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkSgemm(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	openblasThreads.Lock()
	if openblasThreads.n != ctx.Threads() {
		C.openblas_set_num_threads(C.int(ctx.Threads()))
		openblasThreads.n = ctx.Threads()
	}
	openblasThreads.Unlock()
	if k == 0 || alpha == 0 {
		// Some BLAS read C when beta == 0 here; keep the spec.
		scaleRows(m, n, beta, c, ldc)
		return
	}
	ta, tb := C.enum_CBLAS_TRANSPOSE(C.CblasNoTrans), C.enum_CBLAS_TRANSPOSE(C.CblasNoTrans)
	if tA == Trans {
		ta = C.CblasTrans
	}
	if tB == Trans {
		tb = C.CblasTrans
	}
	if beta == 0 {
		// cblas_sgemm with beta = 0 must not read C; clear it anyway so a NaN
		// cannot leak through an implementation that multiplies by zero.
		scaleRows(m, n, 0, c, ldc)
	}
	C.cblas_sgemm(C.CblasRowMajor, ta, tb, C.blasint(m), C.blasint(n), C.blasint(k), C.float(alpha),
		(*C.float)(unsafe.Pointer(&a[0])), C.blasint(lda), (*C.float)(unsafe.Pointer(&b[0])), C.blasint(ldb),
		C.float(beta), (*C.float)(unsafe.Pointer(&c[0])), C.blasint(ldc))
}

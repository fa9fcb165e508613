package kernels

import (
	"fmt"

	"github.com/trainbench/trainbench/shape"
)

// The argument checks every kernel runs before its work. They panic, naming
// the call, the shape and the argument: a wrong length or an invalid shape is
// a programming error, like an out-of-range slice index. The messages are
// formatted only on failure, so that a check does not allocate.

// checkValid panics with the call's name and err, the error of a shape's
// Validate, unless err is nil.
func checkValid(call string, err error) {
	if err != nil {
		panic(fmt.Sprintf("kernels: %s: %v", call, err))
	}
}

// checkLen panics with a message naming the call and argument unless len(v)
// is want; what describes want (a formula or the other argument).
func checkLen[T any](call, name string, v []T, want int, what string) {
	if len(v) != want {
		panic(fmt.Sprintf("kernels: %s: len(%s) = %d, want %s = %d", call, name, len(v), what, want))
	}
}

// checkShapeLen is checkLen for a call on a shape, which the message names.
func checkShapeLen[T any, S fmt.Stringer](call string, s S, name string, v []T, want int, what string) {
	if len(v) != want {
		panic(fmt.Sprintf("kernels: %s %v: len(%s) = %d, want %s = %d", call, s.String(), name, len(v), what, want))
	}
}

// checkedLen returns a·b, a length the call derives from its arguments,
// panicking with a message naming the call and the product (what,
// "rows·len(b)") if it overflows an int: a wrapped length would pass the
// length checks.
func checkedLen(call, what string, a, b int) int {
	n, ok := shape.Mul(a, b)
	if !ok {
		panic(fmt.Sprintf("kernels: %s: %s = %d·%d overflows an int", call, what, a, b))
	}
	return n
}

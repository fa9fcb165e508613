package shape

import (
	"fmt"
	"math"
	"math/bits"
)

// MaxElems is the most elements a tensor of a valid shape may have: 4·MaxElems
// bytes of float32 still fit in an int, so no length or byte offset derived
// from a validated shape overflows.
const MaxElems = math.MaxInt / 4

// Mul returns the product of factors and true, or 0 and false if the product
// overflows an int or a factor is negative. Lengths derived from sizes a user
// or a file gives go through it, because a wrapped product passes every
// length check (2¹⁶·2¹⁶·2¹⁶·2¹⁶ is 0 in 64 bits).
func Mul(factors ...int) (int, bool) {
	p := uint64(1)
	for _, f := range factors {
		if f < 0 {
			return 0, false
		}
		hi, lo := bits.Mul64(p, uint64(f))
		if hi != 0 || lo > math.MaxInt {
			return 0, false
		}
		p = lo
	}
	return int(p), true
}

// Add returns the sum of terms and true, or 0 and false if the sum overflows
// an int or a term is negative.
func Add(terms ...int) (int, bool) {
	s := 0
	for _, t := range terms {
		if t < 0 || s > math.MaxInt-t {
			return 0, false
		}
		s += t
	}
	return s, true
}

// Error is a shape that Validate refuses. Field names the field at fault
// ("StrideH") or the product of fields whose value is out of range
// ("N·H·W·C"); Msg says what is wrong with it.
type Error struct {
	Shape string // the kind and the shape, "conv2d n1h5w5c3_k4r3s3_st1x1_pad0x0"
	Field string
	Msg   string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s %s", e.Shape, e.Field, e.Msg) }

// The checks below find the first bad field without formatting anything, so
// that a kernel validating its shape on every call does not allocate; the
// caller builds the *Error, with the shape's String, only on failure.

// field is one field of a shape and its least valid value.
type field struct {
	name string
	v    int
	min  int
}

// belowMin returns the first field below its minimum, and whether there is
// one.
func belowMin(fs ...field) (field, bool) {
	for _, f := range fs {
		if f.v < f.min {
			return f, true
		}
	}
	return field{}, false
}

// err is the *Error for f below its minimum in shape.
func (f field) err(shape string) error {
	return &Error{Shape: shape, Field: f.name, Msg: fmt.Sprintf("= %d, must be ≥ %d", f.v, f.min)}
}

// elems is the product of factors, or -1 if it is more than MaxElems
// (including a product that overflows an int).
func elems(factors ...int) int {
	if v, ok := Mul(factors...); ok && v <= MaxElems {
		return v
	}
	return -1
}

// product is a named product of fields (elems of them) that must not exceed
// MaxElems.
type product struct {
	name string // "N·H·W·C"
	what string // "the input"
	n    int    // elems of the factors
}

// tooLarge returns the first product above MaxElems, and whether there is
// one.
func tooLarge(ps ...product) (product, bool) {
	for _, p := range ps {
		if p.n < 0 {
			return p, true
		}
	}
	return product{}, false
}

// err is the *Error for p above MaxElems in shape.
func (p product) err(shape string) error {
	return &Error{Shape: shape, Field: p.name, Msg: fmt.Sprintf("(%s) is more than %d elements", p.what, MaxElems)}
}

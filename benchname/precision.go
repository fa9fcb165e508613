package benchname

import (
	"fmt"
	"strings"
)

// Precision is the name of a floating-point format: of a peak loop (prec=
// in Peak names, and the machine profile's keys) and of an accelerator's
// arithmetic (the cost model's catalog).
type Precision string

// The precisions, canonical spellings.
const (
	F64  Precision = "f64"
	F32  Precision = "f32"
	TF32 Precision = "tf32"
	BF16 Precision = "bf16"
	F16  Precision = "f16"
)

// Precisions lists every precision, widest first.
func Precisions() []Precision { return []Precision{F64, F32, TF32, BF16, F16} }

// aliases are the other spellings users write (catalog keys, --precision).
var aliases = map[string]Precision{"fp64": F64, "fp32": F32, "fp16": F16, "float64": F64, "float32": F32, "float16": F16}

// CanonicalPrecision returns the canonical precision s names, in any case and
// under any of its accepted spellings ("fp32" is F32); a name it does not
// know comes back unchanged, for the caller's validation to reject.
func CanonicalPrecision(s string) Precision {
	l := strings.ToLower(strings.TrimSpace(s))
	if p, ok := aliases[l]; ok {
		return p
	}
	for _, p := range Precisions() {
		if string(p) == l {
			return p
		}
	}
	return Precision(s)
}

// ParsePrecision parses a precision name (CanonicalPrecision's spellings).
func ParsePrecision(s string) (Precision, error) {
	p := CanonicalPrecision(s)
	if !p.Known() {
		return "", fmt.Errorf("unknown precision %q (valid: %s)", s, PrecisionList(Precisions()))
	}
	return p, nil
}

// Known reports whether p is one of Precisions.
func (p Precision) Known() bool {
	for _, q := range Precisions() {
		if p == q {
			return true
		}
	}
	return false
}

// Size is the element size in bytes: 8, 4 or 2 (4 for an unknown name, the
// size of the float32 the kernels compute in).
func (p Precision) Size() int {
	switch p {
	case F64:
		return 8
	case BF16, F16:
		return 2
	}
	return 4
}

// PrecisionList joins precision names with ", ", for messages.
func PrecisionList(ps []Precision) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

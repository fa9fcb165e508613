// Package machine describes what a machine can do, as plain data: the ISA
// level names, the memory levels, the STREAM kernels, the precisions peaks
// are measured in, and the Profile that holds the CPU's facts and measured
// ceilings, with its configuration-line form (Profile.ConfigLines,
// ParseProfile). Package ceiling measures a Profile; results files carry it;
// the cost model reads it back. It measures nothing and imports no code that
// detects or runs anything, so reading a profile does not link the kernels.
package machine

import (
	"fmt"
	"strings"

	"github.com/trainbench/trainbench/benchname"
)

// The ISA level names, lowest first: the names of kernels/cpu's levels.
const (
	ISAGeneric = "generic" // pure Go
	ISAAVX2    = "avx2"    // AVX2 + FMA3
	ISAAVX512  = "avx512"  // AVX-512 F, DQ, BW, VL
)

// ISALevels lists the ISA level names, lowest first.
func ISALevels() []string { return []string{ISAGeneric, ISAAVX2, ISAAVX512} }

// ParseISA returns the ISA level name s spells (case-insensitive).
func ParseISA(s string) (string, error) {
	for _, n := range ISALevels() {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return n, nil
		}
	}
	return "", fmt.Errorf("unknown ISA level %q (valid: %s)", s, strings.Join(ISALevels(), ", "))
}

// The memory levels a profile reports bandwidth for.
const (
	LevelL1   = "l1"
	LevelL2   = "l2"
	LevelL3   = "l3"
	LevelDRAM = "dram"
)

// CacheLevels lists the level names in order.
func CacheLevels() []string { return []string{LevelL1, LevelL2, LevelL3, LevelDRAM} }

// Precisions lists the precisions peaks are measured in, f32 first. bf16
// (bfloat16 products, float32 sums) is measured only where the CPU has it
// (AVX512_BF16), so a profile may lack it.
func Precisions() []benchname.Precision {
	return []benchname.Precision{benchname.F32, benchname.F64, benchname.BF16}
}

// ParsePrecision parses the name of one of Precisions ("f32", "f64"; the
// spellings benchname.CanonicalPrecision accepts).
func ParsePrecision(s string) (benchname.Precision, error) {
	p := benchname.CanonicalPrecision(s)
	for _, q := range Precisions() {
		if p == q {
			return p, nil
		}
	}
	return "", fmt.Errorf("unknown precision %q (valid: %s)", s, benchname.PrecisionList(Precisions()))
}

// Op is a STREAM kernel on float64 arrays.
type Op string

// The STREAM kernels measured. Bytes are counted as STREAM counts them: every
// array element read or written once, no write-allocate traffic.
const (
	Copy  Op = "copy"  // y[i] = x[i]: 16 bytes, 0 FLOPs per element
	Triad Op = "triad" // x[i] = y[i] + s·z[i]: 24 bytes, 2 FLOPs per element
)

// Ops lists the STREAM kernels, copy first.
func Ops() []Op { return []Op{Copy, Triad} }

// ParseOp parses "copy" or "triad".
func ParseOp(s string) (Op, error) {
	switch Op(s) {
	case Copy, Triad:
		return Op(s), nil
	}
	return "", fmt.Errorf("unknown stream op %q (valid: copy, triad)", s)
}

// Arrays is the number of float64 arrays the op touches: 2 or 3.
func (o Op) Arrays() int {
	if o == Triad {
		return 3
	}
	return 2
}

// BytesPerElem is the traffic counted per element: 8 bytes per array.
func (o Op) BytesPerElem() int { return 8 * o.Arrays() }

// FLOPsPerElem is the arithmetic per element: 2 for triad, 0 for copy.
func (o Op) FLOPsPerElem() float64 {
	if o == Triad {
		return 2
	}
	return 0
}

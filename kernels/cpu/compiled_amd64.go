//go:build !noasm

package cpu

// compiledLevel is the highest level this binary carries assembly for.
const compiledLevel = AVX512

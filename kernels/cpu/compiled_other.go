//go:build !amd64 || noasm

package cpu

// compiledLevel is the highest level this binary carries assembly for: none
// off amd64 or under the noasm build tag.
const compiledLevel = Generic

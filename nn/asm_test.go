//go:build amd64 && !noasm

package nn

// pureGo is true when every ISA level runs the kernels' pure-Go twins.
const pureGo = false

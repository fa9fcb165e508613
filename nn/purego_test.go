//go:build noasm || !amd64

package nn

// pureGo is true when every ISA level runs the kernels' pure-Go twins.
const pureGo = true

package kernels

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// ISAMode says how an implementation relates to the Context's ISA level.
type ISAMode int

const (
	// PerISA implementations follow the Context's ISA level: benchmarks run
	// them once per usable level.
	PerISA ISAMode = iota
	// GenericOnly implementations are plain Go whatever the Context says:
	// benchmarks label them isa=generic.
	GenericOnly
	// Native implementations pick their own instructions (a library with
	// its own assembly, such as gonum, or a system library): benchmarks
	// label them isa=native.
	Native
	// AVX512Only implementations are written for AVX-512 alone (the archsimd
	// ones, built with GOEXPERIMENT=simd): they run only on a Context at
	// level avx512, and benchmarks and tests take them there alone.
	AVX512Only
)

// Impl is one named implementation of a kernel with function type F.
type Impl[F any] struct {
	Name string  // stable name, the impl= key of benchmark names
	Mode ISAMode // how it follows the Context's ISA level
	Doc  string  // one line for listings
	Fn   F
	// Error is the implementation's error bound beyond that of a sum in
	// another order, as a fraction of Σ|terms| per output: 0 for the
	// exact-order algorithms, WinogradError for winograd.
	Error float64
}

// Every registered implementation checks its arguments and panics as the
// Context methods do, naming the registry and the implementation
// ("conv2d-fwd im2col"). The implementations themselves are unexported:
// callers outside the package reach them through the registries, for example
// Conv2DFwdImpls.Lookup("direct"). Where a Context method calls a fast path's
// unchecked body directly, the registered function is that body's …Checked
// wrapper.

// Registry lists the implementations of one kernel. Implementations register
// in init functions (some only under build tags, like openblas).
type Registry[F any] struct {
	kernel string
	mu     sync.Mutex
	impls  []Impl[F]
}

// NewRegistry returns an empty registry for the named kernel.
func NewRegistry[F any](kernel string) *Registry[F] { return &Registry[F]{kernel: kernel} }

// Register adds an implementation; it panics on a duplicate name.
func (r *Registry[F]) Register(i Impl[F]) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, have := range r.impls {
		if have.Name == i.Name {
			panic(fmt.Sprintf("kernels: %s implementation %q registered twice", r.kernel, i.Name))
		}
	}
	r.impls = append(r.impls, i)
	sort.SliceStable(r.impls, func(a, b int) bool { return implOrder(r.impls[a].Name) < implOrder(r.impls[b].Name) })
}

// All returns the registered implementations, references first.
func (r *Registry[F]) All() []Impl[F] {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Impl[F](nil), r.impls...)
}

// Names returns the registered implementation names.
func (r *Registry[F]) Names() []string {
	var ns []string
	for _, i := range r.All() {
		ns = append(ns, i.Name)
	}
	return ns
}

// Lookup returns the implementation with the given name, or an error listing
// the valid names.
func (r *Registry[F]) Lookup(name string) (Impl[F], error) {
	for _, i := range r.All() {
		if i.Name == name {
			return i, nil
		}
	}
	var zero Impl[F]
	return zero, fmt.Errorf("unknown %s implementation %q (valid: %s)", r.kernel, name, strings.Join(r.Names(), ", "))
}

// implOrder sorts implementations the way tables read best: the reference,
// then ours from simple to fast, then outside libraries.
func implOrder(name string) int {
	for i, n := range []string{"naive", "blocked", "im2col", "direct", "archsimd", "gonum", "openblas"} {
		if n == name {
			return i
		}
	}
	return 100
}

package bench

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/workload"
)

// Options selects cases within a family. Nil fields mean the defaults.
type Options struct {
	Threads []int       // thread counts; nil: DefaultThreads()
	Levels  []cpu.Level // ISA levels for per-ISA implementations; nil: every usable level
	Sets    []string    // shape sets; nil: the family's default sets
}

func (o Options) threads() []int {
	if o.Threads == nil {
		return DefaultThreads()
	}
	return o.Threads
}

func (o Options) levels() []cpu.Level {
	if o.Levels == nil {
		info, _ := cpu.Detect()
		return info.Levels()
	}
	return o.Levels
}

// wantSet reports whether shape set name is selected, given the family's
// default sets.
func (o Options) wantSet(name string, defaults []string) bool {
	sets := o.Sets
	if sets == nil {
		sets = defaults
	}
	for _, s := range sets {
		if s == name {
			return true
		}
	}
	return false
}

// Family is one benchmark family: Benchmark<Name> in go test, <Name>/... in
// benchrun.
type Family struct {
	Name        string                   // e.g. "Sgemm"; the first element of case names
	Doc         string                   // one line for listings
	Sets        []string                 // every shape set the family has
	DefaultSets []string                 // the sets run when Options.Sets is nil
	Cases       func(opt Options) []Case // the family's cases for the options
}

var (
	familiesMu sync.Mutex
	families   = map[string]Family{}
)

// Register adds a family; families register in init functions. It panics on
// a duplicate name.
func Register(f Family) {
	familiesMu.Lock()
	defer familiesMu.Unlock()
	if _, dup := families[f.Name]; dup {
		panic("bench: family " + f.Name + " registered twice")
	}
	families[f.Name] = f
}

// Families returns the registered families sorted by name.
func Families() []Family {
	familiesMu.Lock()
	defer familiesMu.Unlock()
	var fs []Family
	for _, f := range families {
		fs = append(fs, f)
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].Name < fs[j].Name })
	return fs
}

// LookupFamily returns the named family or an error listing the valid names.
func LookupFamily(name string) (Family, error) {
	var names []string
	for _, f := range Families() {
		if strings.EqualFold(f.Name, name) {
			return f, nil
		}
		names = append(names, f.Name)
	}
	return Family{}, fmt.Errorf("unknown benchmark family %q (valid: %s)", name, strings.Join(names, ", "))
}

// FamilyCases returns the cases of the named family; it panics if there is no
// such family (for the Benchmark functions, whose names are fixed).
func FamilyCases(name string, opt Options) []Case {
	f, err := LookupFamily(name)
	if err != nil {
		panic(err)
	}
	return f.Cases(opt)
}

// NetworkLayers resolves net at batch size batch and returns its layers, for
// building the cases of a network's shape set from the one description of the
// network (package workload).
func NetworkLayers(net workload.Network, batch int) []workload.Resolved {
	rs, err := net.Resolve(batch)
	if err != nil {
		panic(fmt.Sprintf("bench: built-in network %s does not resolve: %v", net.Name, err))
	}
	return rs
}
